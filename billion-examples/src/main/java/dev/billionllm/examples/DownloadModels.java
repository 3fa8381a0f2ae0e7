package dev.billionllm.examples;

import dev.billionllm.core.BillionException;
import dev.billionllm.core.hub.DownloadRequest;
import dev.billionllm.core.hub.FileFilter;
import dev.billionllm.core.hub.HubClient;
import dev.billionllm.core.hub.HubOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Downloads models from the Hugging Face Hub into the cache shared with Python, like the Python
 * project's {@code download_models.py}. Prints each snapshot folder on stdout.
 *
 * <pre>
 * DownloadModels --model tinyllama
 * DownloadModels --model meta-llama/Llama-3.2-1B-Instruct --quiet    (gated: set HF_TOKEN)
 * DownloadModels --model pythia-1b --all --cache-dir /data/hf-cache
 * </pre>
 *
 * Options: {@code --model ID} (a spec id or a repo id; repeatable), {@code --all} (every file
 * except pickled checkpoints, instead of configs, tokenizer and safetensors), {@code --include GLOB}
 * (repeatable; pickles only when the glob names their extension), {@code --revision REV},
 * {@code --cache-dir DIR} (default: HF_HUB_CACHE, HF_HOME/hub or ~/.cache/huggingface/hub),
 * {@code --quiet} (no progress bars). The other HF_* variables (HF_TOKEN, HF_ENDPOINT,
 * HF_HUB_OFFLINE) apply as in huggingface_hub.
 */
public final class DownloadModels {

    private DownloadModels() {}

    public static void main(String[] args) {
        try {
            for (Path snapshot : run(args)) {
                System.out.println(snapshot);
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
        } catch (BillionException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Parses the arguments and downloads; returns the snapshot folders in argument order. */
    static List<Path> run(String[] args) {
        List<String> models = new ArrayList<>();
        List<String> include = new ArrayList<>();
        boolean all = false;
        String revision = null;
        HubOptions.Builder options = HubOptions.fromEnvironment().toBuilder();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> models.add(value(args, ++i, "--model"));
                case "--include" -> include.add(value(args, ++i, "--include"));
                case "--revision" -> revision = value(args, ++i, "--revision");
                case "--cache-dir" -> options.optCacheDir(Path.of(value(args, ++i, "--cache-dir")));
                case "--all" -> all = true;
                case "--quiet" -> options.optQuiet(true);
                case "--help", "-h" -> throw new IllegalArgumentException("help requested");
                default -> throw new IllegalArgumentException("unknown argument \"" + args[i] + "\"");
            }
        }
        if (models.isEmpty()) {
            throw new IllegalArgumentException("--model is required");
        }
        FileFilter filter = FileFilter.select(all, include);
        HubClient hub = new HubClient(options.build());
        List<Path> snapshots = new ArrayList<>();
        for (String model : models) {
            snapshots.add(hub.download(DownloadRequest.builder(model).optRevision(revision).optFilter(filter).build()));
        }
        return snapshots;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static String usage() {
        return "usage: DownloadModels --model ID [--model ID ...] [--all | --include GLOB ...] [--revision REV]"
                + " [--cache-dir DIR] [--quiet]";
    }
}
