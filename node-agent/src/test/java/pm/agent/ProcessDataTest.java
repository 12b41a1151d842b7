package pm.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRef;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;
import pm.v1.SpawnRequest;

/** What a process reads and writes on its way in and out: its /data directory, its output. Real gRPC, real guests. */
class ProcessDataTest {
    @TempDir
    Path dir;

    private Agents agents;
    private NodeAgentGrpc.NodeAgentBlockingStub agent;

    @BeforeEach
    void start() throws Exception {
        agents = new Agents(dir);
        agent = agents.stub(agents.start("a"));
    }

    @AfterEach
    void stop() {
        agents.close();
    }

    @Test
    void dataExistsWithoutInputFilesSoAProgramCanCreateItsOwn() throws Exception {
        ProcessSpec spec = ProcessSpec.newBuilder().setModule(ByteString.copyFrom(Agents.guest("store")))
                .addArgs("store").addArgs("made.txt").setStdin(ByteString.copyFromUtf8("hello\n")).build();
        agent.spawn(SpawnRequest.newBuilder().setProcessId("mk").setSpec(spec).build());

        String out = Agents.follow(agent, "mk", 0, null);
        ProcessInfo info = agent.get(ProcessRef.newBuilder().setProcessId("mk").build());

        assertThat(info.getState()).isEqualTo(ProcessState.PROCESS_STATE_EXITED);
        assertThat(info.getExitStatus()).as(out).isZero();
        assertThat(out).isEqualTo("stored 6 bytes in /data/made.txt\n");
    }
}
