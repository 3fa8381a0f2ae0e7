package dev.billionllm.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The drawn line of the public API (docs/architecture.md): outside the internal engine packages,
 * no public or protected member of a public type mentions a DJL or ONNX Runtime type, so users
 * never compile against an engine and either engine can stay off their class path.
 */
class PublicApiTest {

    /** Engine code and model internals: reached across packages, but not API (their package-info says so). */
    private static final List<String> INTERNAL = List.of("dev.billionllm.core.model", "dev.billionllm.core.backend.pytorch",
            "dev.billionllm.core.backend.onnx");
    private static final List<String> ENGINE_PREFIXES = List.of("ai.djl.", "ai.onnxruntime.");

    @Test
    void noEngineTypeInAPublicSignatureOutsideTheInternalPackages() throws Exception {
        List<String> found = new ArrayList<>();
        List<Class<?>> checked = apiClasses();
        for (Class<?> c : checked) {
            for (Method m : c.getDeclaredMethods()) {
                if (visible(m) && !m.isSynthetic() && !m.isBridge()) {
                    check(found, c, m, m.getGenericReturnType());
                    checkParameters(found, c, m);
                }
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (visible(k)) {
                    checkParameters(found, c, k);
                }
            }
            for (Field f : c.getDeclaredFields()) {
                if (visible(f)) {
                    check(found, c, f, f.getGenericType());
                }
            }
            check(found, c, null, c.getGenericSuperclass());
            for (Type t : c.getGenericInterfaces()) {
                check(found, c, null, t);
            }
        }
        assertThat(checked).as("classes checked").hasSizeGreaterThan(50)
                .contains(Model.class, dev.billionllm.core.backend.LoadOptions.class);
        assertThat(found).as("engine types in public signatures").isEmpty();
    }

    @Test
    void theCheckSeesEngineTypes() {
        // The internal PyTorch model does use DJL types publicly: proof that the check would notice.
        List<String> found = new ArrayList<>();
        for (Method m : dev.billionllm.core.model.Transformer.class.getDeclaredMethods()) {
            if (visible(m)) {
                check(found, dev.billionllm.core.model.Transformer.class, m, m.getGenericReturnType());
                checkParameters(found, dev.billionllm.core.model.Transformer.class, m);
            }
        }
        assertThat(found).isNotEmpty();
    }

    private static void checkParameters(List<String> found, Class<?> c, Executable e) {
        for (Type t : e.getGenericParameterTypes()) {
            check(found, c, (Member) e, t);
        }
    }

    private static void check(List<String> found, Class<?> c, Member m, Type t) {
        if (t == null) {
            return;
        }
        String name = t.getTypeName();
        for (String prefix : ENGINE_PREFIXES) {
            if (name.contains(prefix)) {
                found.add(c.getName() + (m == null ? "" : "." + m.getName()) + ": " + name);
            }
        }
    }

    private static boolean visible(Member m) {
        int mod = m.getModifiers();
        return Modifier.isPublic(mod) || Modifier.isProtected(mod);
    }

    /** Public types of billion-core's main classes outside the internal packages, nested ones included. */
    private static List<Class<?>> apiClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(Model.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> names;
        try (Stream<Path> files = Files.walk(root)) {
            names = files.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> root.relativize(p).toString().replace('/', '.').replace('\\', '.'))
                    .map(n -> n.substring(0, n.length() - ".class".length()))
                    .filter(n -> !n.endsWith("package-info"))
                    .collect(Collectors.toList());
        }
        List<Class<?>> out = new ArrayList<>();
        for (String n : names) {
            String pkg = n.substring(0, n.lastIndexOf('.'));
            if (INTERNAL.stream().anyMatch(i -> pkg.equals(i) || pkg.startsWith(i + "."))) {
                continue;
            }
            Class<?> c = Class.forName(n, false, PublicApiTest.class.getClassLoader());
            if (publicAllTheWayOut(c)) {
                out.add(c);
            }
        }
        return out;
    }

    private static boolean publicAllTheWayOut(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isLocalClass()) {
                return false;
            }
        }
        return !Arrays.asList(c.getName().split("\\$")).stream().anyMatch(s -> s.matches("\\d+"));
    }
}
