package dev.billionllm.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fixture lookup in the repository and from a test-jar, as users' tests get it. */
class FixturesTest {

    @Test
    void findsTheRepositoryFixtures() {
        assertThat(Fixtures.dir("tiny-tinyllama").resolve("config.json")).isRegularFile();
        assertThatThrownBy(() -> Fixtures.dir("no-such-model")).hasMessageContaining("no-such-model");
    }

    @Test
    void theTestClasspathCarriesTheTinyModels() {
        // the build copies testdata/ into the test classes, which become the test-jar
        Path dir = Fixtures.fromClasspath(Fixtures.class.getClassLoader(), "tiny-llama32");
        assertThat(dir.resolve("tokenizer.json")).isRegularFile();
        assertThat(dir.resolve("model.safetensors")).hasSameBinaryContentAs(Fixtures.dir("tiny-llama32").resolve("model.safetensors"));
    }

    @Test
    void extractsAFixtureFromAJar(@TempDir Path tmp) throws Exception {
        Path jar = tmp.resolve("billion-core-tests.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            put(out, "testdata/README.md", "fixtures");
            put(out, "testdata/tiny-x/config.json", "{\"model_type\": \"llama\"}");
            put(out, "testdata/tiny-x/sub/a.txt", "a");
            put(out, "testdata/tiny-y/config.json", "{}");
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            Path dir = Fixtures.fromClasspath(loader, "tiny-x");
            assertThat(dir.resolve("config.json")).content(StandardCharsets.UTF_8).contains("llama");
            assertThat(dir.resolve("sub/a.txt")).content(StandardCharsets.UTF_8).isEqualTo("a");
            assertThat(dir.resolve("../tiny-y")).doesNotExist();
            assertThat(Fixtures.fromClasspath(loader, "tiny-x")).isEqualTo(dir); // extracted once
            assertThatThrownBy(() -> Fixtures.fromClasspath(loader, "tiny-z")).hasMessageContaining("tiny-z");
        }
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            assertThatThrownBy(() -> Fixtures.fromClasspath(empty, "tiny-x")).hasMessageContaining("test-jar");
        }
    }

    private static void put(JarOutputStream out, String name, String text) throws Exception {
        out.putNextEntry(new JarEntry(name));
        OutputStream o = out;
        o.write(text.getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
    }
}
