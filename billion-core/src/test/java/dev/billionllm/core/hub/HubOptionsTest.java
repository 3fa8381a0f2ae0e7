package dev.billionllm.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The environment variables huggingface_hub reads, and builder validation. */
class HubOptionsTest {

    @TempDir
    Path home;

    @Test
    void defaultsMatchHuggingfaceHub() {
        HubOptions o = HubOptions.fromEnvironment(Map.of(), home);
        assertThat(o.endpoint()).isEqualTo("https://huggingface.co");
        assertThat(o.cacheDir()).isEqualTo(home.resolve(".cache/huggingface/hub"));
        assertThat(o.hasToken()).isFalse();
        assertThat(o.offline()).isFalse();
        assertThat(o.quiet()).isFalse();
    }

    @Test
    void cacheRootPrecedence() {
        assertThat(HubOptions.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x"), home).cacheDir())
                .isEqualTo(Path.of("/x/huggingface/hub"));
        assertThat(HubOptions.fromEnvironment(Map.of("HF_HOME", "/h", "XDG_CACHE_HOME", "/x"), home).cacheDir())
                .isEqualTo(Path.of("/h/hub"));
        assertThat(HubOptions.fromEnvironment(Map.of("HF_HUB_CACHE", "~/c", "HF_HOME", "/h"), home).cacheDir())
                .isEqualTo(home.resolve("c"));
    }

    @Test
    void tokenFromVariableElseFromTheLoginFile() throws IOException {
        Path hfHome = home.resolve("hf");
        Files.createDirectories(hfHome);
        Files.writeString(hfHome.resolve("token"), "hf_from_file\n");
        HubOptions fromFile = HubOptions.fromEnvironment(Map.of("HF_HOME", hfHome.toString()), home);
        assertThat(fromFile.token()).isEqualTo("hf_from_file");
        HubOptions fromEnv = HubOptions.fromEnvironment(Map.of("HF_HOME", hfHome.toString(), "HF_TOKEN", "hf_env"), home);
        assertThat(fromEnv.token()).isEqualTo("hf_env");
        assertThat(fromEnv.toString()).doesNotContain("hf_env").contains("<hidden>");
        assertThat(HubOptions.fromEnvironment(Map.of("HF_HOME", home.resolve("none").toString()), home).hasToken())
                .isFalse();
    }

    @Test
    void offlineQuietEndpointAndTimeout() {
        HubOptions o = HubOptions.fromEnvironment(Map.of("HF_HUB_OFFLINE", "1", "HF_HUB_DISABLE_PROGRESS_BARS", "true",
                "HF_ENDPOINT", "https://hf-mirror.example/", "HF_HUB_DOWNLOAD_TIMEOUT", "2.5"), home);
        assertThat(o.offline()).isTrue();
        assertThat(o.quiet()).isTrue();
        assertThat(o.endpoint()).isEqualTo("https://hf-mirror.example");
        assertThat(o.readTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(HubOptions.fromEnvironment(Map.of("HF_HUB_OFFLINE", "0"), home).offline()).isFalse();
    }

    @Test
    void badValuesFailWhenSet() {
        assertThatThrownBy(() -> HubOptions.builder().optEndpoint("ftp://x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http(s)");
        assertThatThrownBy(() -> HubOptions.builder().optMaxRetries(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HubOptions.builder().optReadTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HubOptions.fromEnvironment(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "soon"), home))
                .hasMessageContaining("HF_HUB_DOWNLOAD_TIMEOUT");
    }
}
