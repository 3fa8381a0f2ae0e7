/**
 * Test doubles for users who unit-test their own generation logic: {@link
 * dev.billionllm.core.testing.ScriptedLM}, a deterministic language model whose logits come from a
 * script or a function, and {@link dev.billionllm.core.testing.ScriptedTokenizer}, a tokenizer over
 * a list of strings, both running through the real {@code Generator}; the bundled tiny fixture
 * models ({@link dev.billionllm.core.testing.Fixtures}), shared checks ({@code Greedy},
 * {@code LogitDiff}) and {@link dev.billionllm.core.testing.ChildJvm}. All of it ships in
 * billion-core's test-jar, which users add with test scope; none of it is in the main jar.
 */
package dev.billionllm.core.testing;
