package dev.billionllm.core.backend;

import dev.billionllm.core.UnsupportedModelException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/** Finds {@link Backend} implementations through {@link ServiceLoader}. */
public final class Backends {

    private Backends() {}

    /** Every backend on the class path, in service-file order. */
    public static List<Backend> all() {
        List<Backend> out = new ArrayList<>();
        ServiceLoader.load(Backend.class, Backends.class.getClassLoader()).forEach(out::add);
        return out;
    }

    /** The backend called {@code name} (case-insensitive). */
    public static Backend get(String name) {
        List<Backend> all = all();
        for (Backend b : all) {
            if (b.name().equalsIgnoreCase(name)) {
                return b;
            }
        }
        throw new UnsupportedModelException("no backend named \"" + name + "\"; available: "
                + all.stream().map(Backend::name).collect(Collectors.joining(", ")));
    }
}
