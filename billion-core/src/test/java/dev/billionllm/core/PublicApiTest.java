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
 * The drawn line of the public API (docs/architecture.md, "The public API"). The rule: every
 * package of billion-core is API except those under {@value #INTERNAL}, which hold engine code and
 * model internals (public only so that other packages and billion-finetune, -speculative and
 * -bench reach them). Outside {@value #INTERNAL}, no public or protected member of a public type
 * mentions a DJL or ONNX Runtime type or an internal type, so users never compile against an
 * engine or an internal, and either engine can stay off their class path.
 */
class PublicApiTest {

    /** Engine code and model internals: reached across packages and modules, but not API. */
    private static final String INTERNAL = "dev.billionllm.core.internal.";
    private static final List<String> FORBIDDEN = List.of("ai.djl.", "ai.onnxruntime.", INTERNAL);

    @Test
    void noEngineOrInternalTypeInAPublicSignatureOfAnApiPackage() throws Exception {
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
        assertThat(found).as("engine or internal types in public signatures of API packages").isEmpty();
    }

    @Test
    void everyPackageSaysWhetherItIsApi() throws Exception {
        Path root = classesRoot();
        List<String> missing = new ArrayList<>();
        List<String> unmarked = new ArrayList<>();
        try (Stream<Path> dirs = Files.walk(root)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                boolean hasClasses;
                try (Stream<Path> files = Files.list(d)) {
                    hasClasses = files.anyMatch(f -> f.toString().endsWith(".class"));
                }
                if (!hasClasses) {
                    continue;
                }
                String pkg = root.relativize(d).toString().replace('/', '.').replace('\\', '.');
                Path source = sourceRoot().resolve(root.relativize(d)).resolve("package-info.java");
                if (!Files.isRegularFile(source)) {
                    missing.add(pkg);
                } else if ((pkg + ".").startsWith(INTERNAL)
                        && !Files.readString(source).contains("Internal: not part of the public API")) {
                    unmarked.add(pkg);
                }
            }
        }
        assertThat(missing).as("packages without package-info.java").isEmpty();
        assertThat(unmarked).as("internal packages whose package-info does not say so").isEmpty();
    }

    @Test
    void engineCodeLivesOnlyInInternalPackages() throws Exception {
        // An API class reaches an engine only through an internal type; none imports DJL's engine
        // API or ONNX Runtime itself (checked on the sources, where imports are visible). DJL's
        // tokenizers binding is not an engine but a required library, wrapped by HfTokenizer.
        List<String> found = new ArrayList<>();
        Path src = sourceRoot();
        try (Stream<Path> files = Files.walk(src)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = src.relativize(f.getParent()).toString().replace('/', '.').replace('\\', '.') + ".";
                if (pkg.startsWith(INTERNAL)) {
                    continue;
                }
                for (String line : Files.readAllLines(f)) {
                    if ((line.startsWith("import ai.djl.") || line.startsWith("import ai.onnxruntime."))
                            && !line.startsWith("import ai.djl.huggingface.tokenizers.")) {
                        found.add(src.relativize(f) + ": " + line);
                    }
                }
            }
        }
        assertThat(found).as("engine imports outside " + INTERNAL).isEmpty();
    }

    @Test
    void theCheckSeesEngineTypes() {
        // The internal PyTorch model does use DJL types publicly: proof that the check would notice.
        List<String> found = new ArrayList<>();
        for (Method m : dev.billionllm.core.internal.model.Transformer.class.getDeclaredMethods()) {
            if (visible(m)) {
                check(found, dev.billionllm.core.internal.model.Transformer.class, m, m.getGenericReturnType());
                checkParameters(found, dev.billionllm.core.internal.model.Transformer.class, m);
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
        for (String prefix : FORBIDDEN) {
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
        Path root = classesRoot();
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
            if ((pkg + ".").startsWith(INTERNAL)) {
                continue;
            }
            Class<?> c = Class.forName(n, false, PublicApiTest.class.getClassLoader());
            if (publicAllTheWayOut(c)) {
                out.add(c);
            }
        }
        return out;
    }

    private static Path classesRoot() throws URISyntaxException {
        return Path.of(Model.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** billion-core's main sources (target/classes is next to src/main/java in the reactor). */
    private static Path sourceRoot() throws URISyntaxException {
        return classesRoot().getParent().getParent().resolve("src/main/java");
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
