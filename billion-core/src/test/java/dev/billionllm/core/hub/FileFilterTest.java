package dev.billionllm.core.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** fnmatch-style patterns and the pickle rule. */
class FileFilterTest {

    @Test
    void defaultsTakeConfigsTokenizerTemplateAndSafetensors() {
        FileFilter f = FileFilter.defaults();
        for (String yes : List.of("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "tokenizer.model", "chat_template.jinja", "model.safetensors",
                "model-00001-of-00002.safetensors", "model.safetensors.index.json")) {
            assertThat(f.matches(yes)).as(yes).isTrue();
        }
        for (String no : List.of("pytorch_model.bin", "model.pt", "README.md", "onnx/model.onnx", "vocab.txt",
                "training_args.bin", "consolidated.pth", "model.ckpt")) {
            assertThat(f.matches(no)).as(no).isFalse();
        }
    }

    @Test
    void picklesOnlyWhenAPatternNamesTheirExtension() {
        assertThat(FileFilter.all().matches("pytorch_model.bin")).isFalse();
        assertThat(FileFilter.all().matches("README.md")).isTrue();
        assertThat(FileFilter.of("*.bin").matches("pytorch_model.bin")).isTrue();
        assertThat(FileFilter.of("pytorch_model.bin").matches("pytorch_model.bin")).isTrue();
        assertThat(FileFilter.of("original/").matches("original/consolidated.pth")).isFalse();
        assertThat(FileFilter.of("original/*.pth").matches("original/consolidated.pth")).isTrue();
    }

    @Test
    void globsFollowFnmatch() {
        assertThat(FileFilter.of("*.json").matches("sub/dir/a.json")).isTrue(); // '*' crosses '/'
        assertThat(FileFilter.of("model-0000?-of-00002.safetensors").matches("model-00001-of-00002.safetensors")).isTrue();
        assertThat(FileFilter.of("[ab].txt").matches("b.txt")).isTrue();
        assertThat(FileFilter.of("[!ab].txt").matches("b.txt")).isFalse();
        assertThat(FileFilter.of("a.json").matches("aXjson")).isFalse(); // '.' is literal
        assertThat(FileFilter.of("onnx/").matches("onnx/model.onnx")).isTrue();
        assertThat(FileFilter.defaults().literals()).contains("config.json").doesNotContain("*.safetensors");
    }

    @Test
    void selectFollowsTheCommandLineFlags() {
        assertThat(FileFilter.select(false, null).matches("README.md")).isFalse();
        assertThat(FileFilter.select(false, java.util.List.of()).matches("config.json")).isTrue();
        assertThat(FileFilter.select(true, null).matches("README.md")).isTrue();
        assertThat(FileFilter.select(false, java.util.List.of("*.md")).matches("README.md")).isTrue();
        assertThat(FileFilter.select(false, java.util.List.of("*.md")).matches("config.json")).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FileFilter.select(true, java.util.List.of("*.md")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("either --all or --include");
    }
}
