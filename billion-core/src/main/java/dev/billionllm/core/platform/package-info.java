/**
 * Facts about the machine that change which kernels the engines pick: the CPU model and the x86
 * instruction-set features that matter for quantized inference. Nothing here changes behaviour; it
 * is read to warn (old int8 exports on CPUs without VNNI) and to label benchmark and test reports.
 */
package dev.billionllm.core.platform;
