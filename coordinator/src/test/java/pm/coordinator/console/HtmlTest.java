package pm.coordinator.console;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HtmlTest {
    @Test
    void textEscapesMarkupAndQuotes() {
        assertThat(Html.text("<script>alert(\"x\" + 'y') && 1</script>"))
                .isEqualTo("&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;) &amp;&amp; 1&lt;/script&gt;");
        assertThat(Html.text(null)).isEmpty();
    }

    @Test
    void anSseFrameCannotBeSplitByALineBreakInItsText() {
        assertThat(SseRelay.frame(new SseRelay.Message("log", "12", "one\nevent: forged\r\ndata: x")))
                .isEqualTo("event: log\nid: 12\ndata: one\ndata: event: forged\ndata: data: x\n\n");
    }
}
