/**
 * Reports of benchmark results: the {@link dev.billionllm.bench.report.ModelReport} record, its
 * Markdown, CSV and JSON forms, PNG charts drawn with JFreeChart, and the multi-model comparison
 * that writes {@code docs/COMPARISON.md}. Measuring belongs in the other bench packages; this one
 * only formats what they return. Every file is written atomically (temporary file, then move).
 */
package dev.billionllm.bench.report;
