package pm.runtime.chan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import pm.runtime.StateFormatException;
import pm.runtime.image.ImageWriter;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.support.Wat;
import pm.runtime.wasi.WasiSession;
import pm.v1.ChannelMessage;
import pm.v1.ChannelState;
import pm.v1.Destination;

/** The pm module's channels: sending, blocking and non-blocking receive, errnos, and the state in images. */
class ChannelsTest {
    private static final long FS = 1 << 20;

    /** Sends "hello" to peer/box, then prints every message of the default mailbox until one reads "end". */
    private static final String ECHO = """
            (module
              (import "pm" "send" (func $send (param i32 i32 i32 i32) (result i32)))
              (import "pm" "recv" (func $recv (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (memory (export "memory") 1)
              (data (i32.const 0) "peer/box")
              (data (i32.const 16) "hello")
              (func (export "_start") (local $e i32)
                (if (call $send (i32.const 0) (i32.const 8) (i32.const 16) (i32.const 5)) (then (call $exit (i32.const 90))))
                (loop $next
                  (local.set $e (call $recv (i32.const 0) (i32.const 0) (i32.const 256) (i32.const 1024) (i32.const 100)
                      (i32.const 128) (i32.const 64) (i32.const 104)))
                  (if (local.get $e) (then (call $exit (i32.add (i32.const 100) (local.get $e)))))
                  (if (i32.and (i32.eq (i32.load (i32.const 100)) (i32.const 3))
                           (i32.eq (i32.and (i32.load (i32.const 256)) (i32.const 0xffffff)) (i32.const 0x646e65)))
                    (then (call $exit (i32.const 0))))
                  (i32.store (i32.const 200) (i32.const 256))
                  (i32.store (i32.const 204) (i32.load (i32.const 100)))
                  (drop (call $write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 208)))
                  (br $next))))
            """;

    /** Exits with 0 if every errno is the documented one, else with the number of the check that failed. */
    private static final String ERRNOS = """
            (module
              (import "pm" "send" (func $send (param i32 i32 i32 i32) (result i32)))
              (import "pm" "recv" (func $recv (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
              (import "pm" "try_recv" (func $try (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (memory (export "memory") 1)
              (data (i32.const 0) "peer")
              (func $check (param $got i32) (param $want i32) (param $n i32)
                (if (i32.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $n)))))
              (func (export "_start") (local $i i32)
                ;; an empty mailbox: EAGAIN without blocking
                (call $check (call $try (i32.const 0) (i32.const 0) (i32.const 256) (i32.const 64) (i32.const 100)
                    (i32.const 128) (i32.const 64) (i32.const 104)) (i32.const 6) (i32.const 1))
                ;; no process id: EINVAL; over 1 MiB: EMSGSIZE
                (call $check (call $send (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 1)) (i32.const 28) (i32.const 2))
                (call $check (call $send (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0x100001)) (i32.const 35) (i32.const 3))
                ;; the outbox takes 8192 messages, then EAGAIN
                (loop $fill
                  (call $check (call $send (i32.const 0) (i32.const 4) (i32.const 16) (i32.const 1)) (i32.const 0) (i32.const 4))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $fill (i32.lt_u (local.get $i) (i32.const 8192))))
                (call $check (call $send (i32.const 0) (i32.const 4) (i32.const 16) (i32.const 1)) (i32.const 6) (i32.const 5))
                ;; blocks until the test delivers 10 bytes; a 4-byte buffer: E2BIG with the length, the message stays
                (call $check (call $recv (i32.const 0) (i32.const 0) (i32.const 256) (i32.const 4) (i32.const 100)
                    (i32.const 128) (i32.const 64) (i32.const 104)) (i32.const 1) (i32.const 6))
                (call $check (i32.load (i32.const 100)) (i32.const 10) (i32.const 7))
                (call $check (call $try (i32.const 0) (i32.const 0) (i32.const 256) (i32.const 64) (i32.const 100)
                    (i32.const 128) (i32.const 64) (i32.const 104)) (i32.const 0) (i32.const 8))
                (call $check (i32.load (i32.const 104)) (i32.const 6) (i32.const 9))
                (call $exit (i32.const 0))))
            """;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final AtomicInteger doorbell = new AtomicInteger();

    private WasiSession.Builder host() {
        return WasiSession.builder().stdout(stdout::write).outboxDoorbell(doorbell::incrementAndGet);
    }

    /** A delivery from the first epoch of {@code from}, which has forgotten nothing. */
    private static Channels.Acceptance in(Channels c, String from, long seq, String mailbox, byte[] payload) {
        return c.accept(from, 1, seq, 0, mailbox, payload).acceptance();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aSendQueuesInTheOutboxAndRingsTheDoorbell() {
        WasiProcess p = WasiProcess.start(CompiledModule.compile(Wat.toWasm(ECHO)), host().build(), Limits.DEFAULT, FS);
        p.run(1_000_000);

        assertThat(doorbell.get()).isEqualTo(1);
        assertThat(p.channels().streams())
                .singleElement()
                .extracting(Channels.Stream::next)
                .satisfies(m -> {
                    assertThat(m.to()).isEqualTo("peer");
                    assertThat(m.mailbox()).isEqualTo("box");
                    assertThat(m.seq()).isEqualTo(1);
                    assertThat(m.payload()).isEqualTo(bytes("hello"));
                });
        p.channels().settled("peer", 1, 0);
        assertThat(p.channels().streams())
                .as("accepted, not durable yet: kept, and asked about")
                .singleElement()
                .satisfies(s -> assertThat(s.next()).isNull());
        p.channels().settled("peer", 1, 1);
        assertThat(p.channels().hasOutgoing()).isFalse();
    }

    @Test
    void aReceiveOnAnEmptyMailboxParksWithoutADeadlineUntilAMessageIsAccepted() {
        WasiProcess p = WasiProcess.start(CompiledModule.compile(Wat.toWasm(ECHO)), host().build(), Limits.DEFAULT, FS);
        assertThat(p.run(1_000_000)).isEqualTo(WasiProcess.State.SLEEPING);
        assertThat(p.nanosUntilWake()).isEqualTo(Long.MAX_VALUE);

        assertThat(in(p.channels(), "x", 1, "", bytes("one\n"))).isEqualTo(Channels.Acceptance.ACCEPTED);
        assertThat(in(p.channels(), "x", 1, "", bytes("one again\n"))).isEqualTo(Channels.Acceptance.DUPLICATE);
        assertThat(in(p.channels(), "x", 2, "other", bytes("elsewhere\n"))).isEqualTo(Channels.Acceptance.ACCEPTED);
        assertThat(p.run(1_000_000)).isEqualTo(WasiProcess.State.SLEEPING);

        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("one\n");
        assertThat(p.channels().inboxSize())
                .as("the other mailbox keeps its message")
                .isEqualTo(1);
        in(p.channels(), "y", 1, "", bytes("end"));
        assertThat(p.run(1_000_000)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(p.exitStatus()).isZero();
    }

    @Test
    void errnosAreTheDocumentedOnesAndATooSmallBufferKeepsTheMessage() {
        WasiProcess p =
                WasiProcess.start(CompiledModule.compile(Wat.toWasm(ERRNOS)), host().build(), Limits.DEFAULT, FS);
        assertThat(p.run(10_000_000))
                .as("blocks in recv after the checks before it")
                .isEqualTo(WasiProcess.State.SLEEPING);
        assertThat(p.channels().outboxSize()).isEqualTo(Channels.MAX_OUTBOX_MESSAGES);

        in(p.channels(), "sender", 1, "", bytes("0123456789"));
        assertThat(p.run(1_000_000)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(p.exitStatus()).as("number of the failed check").isZero();
    }

    @Test
    void aSealedCopyAcceptsNothingUntilUnsealed() {
        Channels c = Channels.none();
        c.seal();
        assertThat(in(c, "x", 1, "", bytes("a"))).isEqualTo(Channels.Acceptance.SEALED);
        assertThat(c.inboxSize()).isZero();
        c.unseal();
        assertThat(in(c, "x", 1, "", bytes("a"))).isEqualTo(Channels.Acceptance.ACCEPTED);
    }

    @Test
    void inboxOutboxAndDedupeTravelInAnImage() throws Exception {
        CompiledModule module = CompiledModule.compile(Wat.toWasm(ECHO));
        WasiProcess p = WasiProcess.start(module, host().build(), Limits.DEFAULT, FS);
        p.run(1_000_000); // sent "hello", now waiting
        in(p.channels(), "x", 1, "", bytes("a\n"));
        in(p.channels(), "x", 2, "", bytes("b\n"));
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        p.writeImage(image, true);

        WasiProcess back =
                WasiProcess.restore(module, new ByteArrayInputStream(image.toByteArray()), host(), Limits.DEFAULT, FS);
        assertThat(back.channels().capture()).isEqualTo(p.channels().capture());
        assertThat(in(back.channels(), "x", 2, "", bytes("b again\n"))).isEqualTo(Channels.Acceptance.DUPLICATE);
        assertThat(back.channels().streams())
                .singleElement()
                .satisfies(m -> assertThat(m.next().seq()).isEqualTo(1));
        in(back.channels(), "x", 3, "", bytes("end"));
        assertThat(back.run(1_000_000)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("a\nb\n");
    }

    @Test
    void anImageWithoutChannelsRestoresWithEmptyChannels() throws Exception {
        CompiledModule module = CompiledModule.compile(Wat.toWasm(ECHO));
        WasiProcess p = WasiProcess.start(module, host().build(), Limits.DEFAULT, FS);
        p.run(1_000_000);
        in(p.channels(), "x", 1, "", bytes("lost with the old format\n"));
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        new ImageWriter(image, false)
                .write(
                        ImageWriter.headerFor(module.sha256(), "old").build(),
                        p.captureExecution(),
                        p.captureSession(),
                        p.memory().bytes(),
                        null); // as images were written before channels

        WasiProcess back =
                WasiProcess.restore(module, new ByteArrayInputStream(image.toByteArray()), host(), Limits.DEFAULT, FS);
        assertThat(back.channels().capture()).isEqualTo(ChannelState.getDefaultInstance());
        assertThat(in(back.channels(), "x", 1, "", bytes("first\n"))).isEqualTo(Channels.Acceptance.ACCEPTED);
        in(back.channels(), "x", 2, "", bytes("end"));
        assertThat(back.run(1_000_000)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("first\n");
    }

    @Test
    void anOutboxWhoseSequenceNumbersDoNotRunIsRefused() {
        ChannelState broken = ChannelState.newBuilder()
                .addOutbox(Destination.newBuilder()
                        .setProcessId("p")
                        .setNextSeq(5)
                        .addPending(ChannelMessage.newBuilder().setSeq(2)))
                .build();
        assertThatThrownBy(() -> Channels.restore(broken, () -> {})).isInstanceOf(StateFormatException.class);
    }

    @Test
    void aMessageIsKeptUntilItsReceiverCallsItDurableAndSentAgainWhenTheReceiverLostIt() {
        Channels c = Channels.none();
        for (String m : List.of("a", "b", "c")) {
            assertThat(c.send("peer", "", bytes(m))).isTrue();
        }
        c.settled("peer", 2, 0);
        assertThat(c.streams())
                .singleElement()
                .satisfies(s -> assertThat(s.next().seq()).isEqualTo(3));
        c.settled("peer", 3, 1);
        assertThat(c.outboxSize()).as("2 and 3 kept until durable").isEqualTo(2);
        assertThat(c.streams()).singleElement().satisfies(s -> {
            assertThat(s.next()).isNull();
            assertThat(s.durableSeq()).isEqualTo(1);
        });

        c.settled("peer", 1, 1); // the receiver came back from a checkpoint holding only 1
        assertThat(c.streams())
                .singleElement()
                .satisfies(s -> assertThat(s.next().payload()).isEqualTo(bytes("b")));
        c.settled("peer", 0, 0); // it cannot have less than what it called durable
        assertThat(c.streams())
                .singleElement()
                .satisfies(s -> assertThat(s.next().seq()).isEqualTo(2));

        c.settled("peer", 3, 3);
        assertThat(c.hasOutgoing()).isFalse();
        assertThat(c.send("peer", "", bytes("d"))).isTrue();
        assertThat(c.streams())
                .singleElement()
                .satisfies(s -> assertThat(s.next().seq()).isEqualTo(4));
    }

    @Test
    void aReceiverRefusesGapsAndOlderCopiesOfASenderAndSkipsWhatTheSenderForgot() {
        Channels c = Channels.none();
        assertThat(c.accept("s", 2, 1, 0, "", bytes("1")))
                .isEqualTo(new Channels.Receipt(Channels.Acceptance.ACCEPTED, 1));
        assertThat(c.accept("s", 2, 3, 0, "", bytes("3"))).isEqualTo(new Channels.Receipt(Channels.Acceptance.GAP, 1));
        assertThat(c.accept("s", 2, 0, 0, "", new byte[0]))
                .as("a probe")
                .isEqualTo(new Channels.Receipt(Channels.Acceptance.DUPLICATE, 1));
        assertThat(c.accept("s", 1, 2, 0, "", bytes("2 from an older copy")).acceptance())
                .isEqualTo(Channels.Acceptance.STALE_SENDER);
        assertThat(c.accept("s", 3, 5, 4, "", bytes("5")))
                .as("2..4 were called durable by a copy of this receiver that was lost")
                .isEqualTo(new Channels.Receipt(Channels.Acceptance.ACCEPTED, 5));
        assertThat(c.inboxSize()).isEqualTo(2);
    }

    @Test
    void keptAndUnsentMessagesAndSenderEpochsTravelInAnImage() {
        Channels c = Channels.none();
        c.send("peer", "box", bytes("a"));
        c.send("peer", "box", bytes("b"));
        c.send("peer", "box", bytes("c"));
        c.settled("peer", 2, 1);
        c.accept("s", 7, 1, 0, "", bytes("x"));

        Channels back = Channels.restore(c.capture(), () -> {});
        assertThat(back.capture()).isEqualTo(c.capture());
        assertThat(back.streams()).singleElement().satisfies(s -> {
            assertThat(s.next().seq()).isEqualTo(3);
            assertThat(s.durableSeq()).isEqualTo(1);
        });
        assertThat(back.accept("s", 6, 2, 0, "", bytes("y")).acceptance()).isEqualTo(Channels.Acceptance.STALE_SENDER);
        assertThat(back.acceptedAtCapture()).isEqualTo(Map.of("s", 1L));
    }
}
