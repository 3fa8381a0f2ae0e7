package dev.billionllm.core.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.billionllm.core.BillionException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A chat template comes with a downloaded model: each case here is one a hostile repository tried
 * (issue 15). Every one must end in a one-line error naming the template and the limit, quickly
 * (the timeouts only catch a hang; the limits act far sooner) and without building anything big.
 */
class TemplateSandboxTest {

    private static final Duration HANG = Duration.ofSeconds(30);

    private static String render(String template, TemplateLimits limits) {
        return new JinjaChatTemplate(template, "<s>", "</s>", "hostile.jinja", limits).render(List.of(), false, Map.of());
    }

    private static String render(String template) {
        return render(template, TemplateLimits.DEFAULTS);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertFails(String template, TemplateLimits limits) {
        Throwable[] thrown = new Throwable[1];
        assertTimeoutPreemptively(HANG, () -> {
            try {
                render(template, limits);
            } catch (Throwable t) {
                thrown[0] = t;
            }
        });
        assertThat(thrown[0]).as("rendering %s", template.length() > 80 ? template.substring(0, 80) : template)
                .isNotNull();
        return assertThat(thrown[0]).isExactlyInstanceOf(BillionException.class)
                .hasMessageStartingWith("Chat template (hostile.jinja) ").hasNoCause()
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("\n"));
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertFails(String template) {
        return assertFails(template, TemplateLimits.DEFAULTS);
    }

    @Test
    void nestedLoopsAreBoundedOverTheWholeRender() {
        // Each range is far below the per-range cap; their product is 10^9 iterations.
        assertFails("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}x"
                + "{% endfor %}{% endfor %}{% endfor %}")
                .hasMessageContaining("loop-iteration limit of 1000000").hasMessageContaining("maxLoopIterations");
        // Empty bodies too: the budget is charged before a loop iterates, not per rendered node.
        assertFails("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
                + "{% endfor %}{% endfor %}{% endfor %}").hasMessageContaining("loop-iteration limit");
        // A smaller budget is honoured.
        assertFails("{% for i in range(20) %}{% for j in range(20) %}{% endfor %}{% endfor %}",
                TemplateLimits.builder().optMaxLoopIterations(100).build()).hasMessageContaining("limit of 100 ");
    }

    @Test
    void renderTimeIsBounded() {
        TemplateLimits fast = TemplateLimits.builder().optMaxRenderTime(Duration.ofMillis(200)).build();
        // Within the loop budget (1,000,000) but slow: each iteration runs string methods.
        assertFails("{% for i in range(1000000) %}{{ ('a b c ' ~ i).split()|join('-')|upper|length }}{% endfor %}",
                fast.toBuilder().optMaxOutputChars(100_000_000).build())
                .hasMessageContaining("render-time limit of 200 ms");
    }

    @Test
    void splitOnEmptySeparatorIsAValueErrorAsInPython() {
        assertFails("{{ 'abc'.split('') }}").hasMessageContaining("ValueError: empty separator");
        assertThat(render("{{ 'a,b'.split(',') }}|{{ 'a b'.split() }}|{{ 'a,b,c'.split(',', 1) }}"))
                .isEqualTo("[a, b]|[a, b]|[a, b,c]");
    }

    @Test
    void replaceWithAHugeCountHasPythonsResult() {
        // Python: 'x'.replace('', 'y', 2000000000) == 'yxy' (an empty pattern matches len+1 times).
        assertThat(render("{{ 'x'.replace('', 'y', 2000000000) }}|{{ 'x'.replace('', 'y', 2000000000)|length }}"))
                .isEqualTo("yxy|3");
        assertThat(render("{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'ab'.replace('', '-') }}")).isEqualTo("bba|-a-b-");
        // A replacement that would build more than the output limit fails before building it.
        assertFails("{% set s = 'x' * 1 %}{{ 'aaaaaaaaaa'.replace('a', 'bbbbbbbbbb') }}",
                TemplateLimits.builder().optMaxOutputChars(50).build())
                .hasMessageContaining("output limit of 50");
    }

    @Test
    void doublingAStringHitsTheOutputLimit() {
        assertFails("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
                + "{{ ns.s|length }}").hasMessageContaining("output limit");
        assertFails("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}"
                + "{{ ns.s|length }}").hasMessageContaining("output limit");
        assertFails("{% for i in range(100000) %}0123456789{% endfor %}",
                TemplateLimits.builder().optMaxOutputChars(1000).build())
                .hasMessageContaining("output limit of 1000");
        assertFails("{{ 'a'|center(2000000000)|length }}").hasMessageContaining("filter |center");
    }

    @ParameterizedTest
    @ValueSource(ints = {100, 20_000})
    void deeplyNestedBlocksFailBeforeParsing(int depth) {
        String template = "{% if true %}".repeat(depth) + "x" + "{% endif %}".repeat(depth);
        assertFails(template).hasMessageContaining("nests blocks " + depth + " deep")
                .hasMessageContaining("limit of 64");
    }

    @ParameterizedTest
    @ValueSource(ints = {1_000, 20_000})
    void deeplyNestedBracketsFailBeforeParsing(int depth) {
        assertFails("{{ " + "(".repeat(depth) + "1" + ")".repeat(depth) + " }}")
                .hasMessageContaining("nests brackets " + depth + " deep");
    }

    @Test
    void strayEndTagsDoNotHideNesting() {
        String template = "{% if true %}{% endfor %}".repeat(100) + "{% endif %}".repeat(100);
        assertFails(template).hasMessageContaining("nests blocks 100 deep");
    }

    @Test
    void nestingWithinTheLimitRenders() {
        assertThat(render("{% if true %}".repeat(60) + "x" + "{% endif %}".repeat(60))).isEqualTo("x");
        assertThat(render("{{ " + "(".repeat(60) + "1" + ")".repeat(60) + " }}")).isEqualTo("1");
    }

    @Test
    void longOperatorChainsAreAClearErrorNotAStackOverflow() {
        // Not nesting in the source, but a 20,000-deep expression tree for jinjava.
        String chain = "{{ 1" + " + 1".repeat(20_000) + " }}";
        Throwable[] thrown = new Throwable[1];
        assertTimeoutPreemptively(HANG, () -> {
            try {
                thrown[0] = null;
                render(chain);
            } catch (Throwable t) {
                thrown[0] = t;
            }
        });
        if (thrown[0] != null) {
            assertThat(thrown[0]).isExactlyInstanceOf(BillionException.class)
                    .hasMessageStartingWith("Chat template (hostile.jinja) ");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"{% include 'META-INF/MANIFEST.MF' %}", "{% import 'META-INF/MANIFEST.MF' as m %}",
        "{% from 'META-INF/MANIFEST.MF' import x %}", "{% extends 'META-INF/MANIFEST.MF' %}"})
    void otherTemplatesAreNeverLoaded(String template) {
        assertFails(template).satisfies(t -> assertThat(t.getMessage()).doesNotContain("Manifest-Version"))
                .hasMessageMatching(".*(include|import|from|extends).*");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{{ 'ab'.repeat(3) }}", "{{ 'ab'.concat('c') }}", "{{ 'ab'.getBytes() }}",
        "{{ 'ab'.getClass() }}", "{{ messages.add(1) }}", "{{ {'a': 1}.put('b', 2) }}", "{{ (1).toString() }}",
        "{{ [1].append(2) }}", "{{ {'a': 1}.update({}) }}"})
    void javaMethodsAreNotCallable(String template) {
        assertFails(template).hasMessageContaining("not a method chat templates may call");
    }

    @Test
    void javaGettersAreUndefined() {
        assertThat(render("[{{ 'ab'.bytes }}][{{ 'ab'.class }}][{{ 'ab'.blank }}][{{ (1).class }}]"))
                .isEqualTo("[][][][]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{{ 'x'|md5 }}", "{{ '{{ 1 }}'|render }}", "{{ 'a,b'|split(',') }}", "{{ today() }}",
        "{{ unixtimestamp() }}", "{{ '1'|fromjson }}", "{{ [1]|shuffle }}"})
    void onlyJinja2FiltersAndGlobalsExist(String template) {
        assertFails(template).hasMessageContaining("disabled");
    }

    @Test
    void recursiveMacrosWorkToALimitAndThenFail() {
        assertThat(render("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}"))
                .isEqualTo("54321");
        assertFails("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
                .hasMessageContaining("macro recursion limit of 64");
    }

    @Test
    void oversizedTemplateIsRefused() {
        assertThatThrownBy(() -> new JinjaChatTemplate("x".repeat(2_000_001), null, null, "big.jinja"))
                .isInstanceOf(BillionException.class).hasMessageContaining("big.jinja")
                .hasMessageContaining("maxTemplateChars");
    }

    @Test
    void limitsRejectNonPositiveValues() {
        assertThatThrownBy(() -> TemplateLimits.builder().optMaxLoopIterations(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxLoopIterations");
        assertThatThrownBy(() -> TemplateLimits.builder().optMaxRenderTime(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRenderTime");
        assertThat(TemplateLimits.DEFAULTS.toBuilder().build()).isEqualTo(TemplateLimits.DEFAULTS);
    }

    // ---- fuzz ----

    private static final String[] FILTERS = {"upper", "lower", "trim", "length", "string", "title", "capitalize",
        "reverse|join", "list|length", "first", "last", "center(30)", "indent(4)", "truncate(5)", "wordcount",
        "replace('a', 'bb')", "join(',')", "default('d')", "tojson", "md5", "sort|join", "unique|list|length"};
    private static final String[] METHODS = {".upper()", ".strip()", ".split()", ".split('')", ".split('a')",
        ".replace('a', 'aa')", ".replace('', 'y', 1000000)", ".startswith('a')", ".title()", ".repeat(1000)",
        ".getBytes()", ".lstrip('a')"};

    /** A random template: nested loops, macros (some recursive), filters, methods, includes. */
    private static String randomTemplate(Random r, int depth) {
        StringBuilder sb = new StringBuilder();
        int parts = 1 + r.nextInt(4);
        for (int p = 0; p < parts; p++) {
            int kind = depth > 5 ? 4 + r.nextInt(3) : r.nextInt(9);
            switch (kind) {
                case 0, 1 -> sb.append("{% for i").append(depth).append(" in range(").append(r.nextInt(r.nextBoolean() ? 5 : 3000))
                        .append(") %}").append(randomTemplate(r, depth + 1)).append("{% endfor %}");
                case 2 -> sb.append("{% macro m").append(depth).append("(n) %}").append(randomTemplate(r, depth + 1))
                        .append(r.nextInt(3) == 0 ? "{{ m" + depth + "(n ~ 'x') }}" : "").append("{% endmacro %}")
                        .append("{{ m").append(depth).append("('ab') }}");
                case 3 -> sb.append("{% if ").append(r.nextBoolean() ? "true" : "messages|length > 0").append(" %}")
                        .append(randomTemplate(r, depth + 1)).append("{% else %}x{% endif %}");
                case 4 -> sb.append("{{ ('a b' ~ 'ba')").append(METHODS[r.nextInt(METHODS.length)])
                        .append("|").append(FILTERS[r.nextInt(FILTERS.length)]).append(" }}");
                case 5 -> sb.append("{% set ns = namespace(s='ab') %}{% for k in range(").append(r.nextInt(40))
                        .append(") %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}");
                case 6 -> sb.append(r.nextInt(20) == 0 ? "{% include 'META-INF/MANIFEST.MF' %}" : "t");
                case 7 -> sb.append("{{ ").append("(".repeat(r.nextInt(100))).append("1").append(")".repeat(100))
                        .append(" }}");
                default -> sb.append("{{ 'abc'").append(METHODS[r.nextInt(METHODS.length)]).append(" }}");
            }
        }
        return sb.toString();
    }

    @Test
    void fuzzedTemplatesRenderOrFailCleanlyWithinTheirBudget() {
        TemplateLimits limits = TemplateLimits.builder().optMaxRenderTime(Duration.ofMillis(200))
                .optMaxLoopIterations(200_000).optMaxOutputChars(200_000).build();
        Random r = new Random(15);
        int rendered = 0;
        int refused = 0;
        for (int n = 0; n < 150; n++) {
            String template = randomTemplate(r, 0);
            String source = "fuzz-" + n + ".jinja";
            long start = System.nanoTime();
            try {
                String out = assertTimeoutPreemptively(HANG, () -> new JinjaChatTemplate(template, "<s>", "</s>",
                        source, limits).render(List.of(ChatMessage.user("hi")), true));
                assertThat(out.length()).as(template).isLessThanOrEqualTo(200_000);
                assertThat(out).as(template).doesNotContain("Manifest-Version");
                rendered++;
            } catch (BillionException e) {
                assertThat(e.getMessage()).as(template).startsWith("Chat template (" + source + ") ")
                        .doesNotContain("\n").doesNotContain("Manifest-Version");
                refused++;
            } catch (Throwable t) {
                fail("template " + n + " let " + t + " escape: " + template, t);
            }
            // Budget (0.2 s) plus parsing; a hang would be tens of seconds.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as(template).isLessThan(Duration.ofSeconds(10));
        }
        // The generator must exercise both outcomes, or the test proves nothing.
        assertThat(rendered).isGreaterThan(20);
        assertThat(refused).isGreaterThan(20);
    }
}
