package dev.billionllm.core.backend;

import dev.billionllm.core.UnsupportedModelException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Finds {@link Backend} implementations through {@link ServiceLoader}. A backend whose engine is
 * not on the class path (billion-core declares both engines optional) is skipped, and asking for
 * it by name says which dependency is missing.
 */
public final class Backends {

    /** What each engine needs on the class path; part of every "no such backend" message. */
    public static final String ENGINE_DEPENDENCIES = "PyTorch (safetensors folders) needs ai.djl.pytorch:pytorch-engine,"
            + " pytorch-jni and pytorch-native-cpu on the class path, ONNX Runtime (ONNX folders)"
            + " ai.djl.onnxruntime:onnxruntime-engine (see README, \"Dependencies\")";

    private Backends() {}

    /** Every usable backend on the class path, in service-file order. */
    public static List<Backend> all() {
        return scan(new ArrayList<>());
    }

    private static List<Backend> scan(List<String> unavailable) {
        List<Backend> out = new ArrayList<>();
        Iterator<Backend> it = ServiceLoader.load(Backend.class, Backends.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    return out;
                }
                Backend b = it.next();
                if (b.available()) {
                    out.add(b);
                } else {
                    unavailable.add(b.name() + ": its engine is not on the class path");
                }
            } catch (ServiceConfigurationError | LinkageError e) {
                // The iterator moves on to the next provider after an error (ServiceLoader's contract).
                unavailable.add(e.getMessage());
            }
        }
    }

    /**
     * The backend called {@code name} (case-insensitive).
     *
     * @throws UnsupportedModelException when none is installed by that name; the message lists the
     *     installed ones and the engine dependencies
     */
    public static Backend get(String name) {
        List<String> unavailable = new ArrayList<>();
        List<Backend> all = scan(unavailable);
        for (Backend b : all) {
            if (b.name().equalsIgnoreCase(name)) {
                return b;
            }
        }
        throw new UnsupportedModelException("no backend named \"" + name + "\"; available: "
                + all.stream().map(Backend::name).collect(Collectors.joining(", ")) + ". " + ENGINE_DEPENDENCIES
                + (unavailable.isEmpty() ? "" : "; not usable here: " + String.join("; ", unavailable)));
    }
}
