package dev.billionllm.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.billionllm.core.BillionException;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.adapter.LoraAdapter;
import dev.billionllm.core.adapter.LoraConfig;
import dev.billionllm.core.chat.ChatTemplate;
import dev.billionllm.core.chat.ChatTemplates;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.internal.backend.pytorch.PtBackend;
import dev.billionllm.core.internal.backend.pytorch.PtNoGrad;
import dev.billionllm.core.internal.model.WeightReader;
import dev.billionllm.core.io.AtomicFiles;
import dev.billionllm.core.io.safetensors.DType;
import dev.billionllm.core.io.safetensors.SafetensorsFile;
import dev.billionllm.core.io.safetensors.SafetensorsWriter;
import dev.billionllm.core.io.safetensors.TensorSource;
import dev.billionllm.core.platform.ProcessMemory;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A whole LoRA training run on a model folder and a JSONL file: data, schedule, {@link LoraTrainer}
 * steps with a progress bar, checkpoints, resume, and the files a user looks at afterwards.
 *
 * <pre>{@code
 * FineTuner.Result r = FineTuner.run(new FineTuner.Request(modelDir, "tinyllama", data, out,
 *         LoraConfig.builder().setRank(8).optAlpha(16).build(), TrainingConfig.builder().build(), null), System.err);
 * }</pre>
 *
 * <p>Output folder: {@value #ADAPTER_DIR}/ (the final adapter in PEFT's format, with
 * {@value #STATE_FILE}), {@code checkpoint-N}/ every {@link TrainingConfig#saveEvery()} steps (adapter,
 * {@value #STATE_FILE}, {@value #OPTIMIZER_FILE}), {@value #LOSS_CSV} and {@value #LOSS_PNG}.
 * Every folder and file appears atomically.
 */
public final class FineTuner {

    /** Consecutive steps with a non-finite loss or gradient that end training (each is skipped). */
    static final int MAX_SKIPPED_STEPS = 3;
    public static final String ADAPTER_DIR = "adapter";
    public static final String STATE_FILE = "trainer_state.json";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String LOSS_CSV = "loss.csv";
    public static final String LOSS_PNG = "loss.png";

    private FineTuner() {}

    /**
     * What to train.
     *
     * @param model model folder (config.json, tokenizer, safetensors)
     * @param baseModelId spec id or Hub repo id written as the adapter's base model (never a local path); may be null
     * @param data JSONL training file
     * @param output folder for the adapter, checkpoints and loss files
     * @param resumeFrom a {@code checkpoint-N} folder of an earlier run with the same settings, or null
     */
    public record Request(Path model, String baseModelId, Path data, Path output, LoraConfig lora,
            TrainingConfig training, Path resumeFrom) {
        public Request {
            java.util.Objects.requireNonNull(model, "model");
            java.util.Objects.requireNonNull(data, "data");
            java.util.Objects.requireNonNull(output, "output");
            java.util.Objects.requireNonNull(lora, "lora");
            java.util.Objects.requireNonNull(training, "training");
        }
    }

    /** One logged optimizer step. */
    public record LogEntry(int step, double epoch, double loss, double learningRate, double gradNorm,
            double tokensPerSecond) {}

    /**
     * What a run did.
     *
     * @param evalBefore held-out loss before training (NaN without an eval split)
     * @param evalAfter held-out loss after training
     */
    public record Result(Path adapter, List<LogEntry> log, double evalBefore, double evalAfter, int trainExamples,
            int evalExamples, Duration time, long peakRssKb) {}

    /** A planned optimizer step: its micro-batches and the epoch it belongs to. */
    record PlannedStep(double epoch, List<List<Example>> microBatches) {}

    /**
     * Runs the training.
     *
     * @param progress where the progress bar goes (System.err in the CLI), or null for none
     */
    public static Result run(Request request, PrintStream progress) {
        long start = System.nanoTime();
        TrainingConfig cfg = request.training();
        ModelConfig config = ModelConfigParser.parse(request.model());
        List<Example> all;
        try (HfTokenizer tokenizer = HfTokenizer.load(request.model())) {
            ChatTemplate template = ChatTemplates.load(request.model(), tokenizer);
            String eos = tokenizer.eosToken();
            int eosId = eos == null ? -1 : tokenizer.tokenToId(eos);
            all = TrainingData.read(request.data(), tokenizer, template.isModelTemplate() ? template : null, eosId,
                    cfg.maxLength());
        }
        TrainingData.Split split = TrainingData.split(all, cfg.evalSplit(), cfg.seed());
        List<PlannedStep> plan = plan(split.train(), cfg);
        int warmup = (int) Math.ceil(plan.size() * cfg.warmupRatio());
        LrSchedule schedule = new LrSchedule(cfg.schedule(), cfg.learningRate(), warmup, plan.size());
        LoraConfig lora = request.lora().toBuilder().optBaseModel(request.baseModelId()).build();
        if (cfg.threads() > 0) {
            ai.djl.engine.Engine.getEngine("PyTorch"); // loads the native library before the JNI call
            JniUtils.setNumThreads(cfg.threads());
        }
        List<LogEntry> log = new ArrayList<>();
        List<double[]> evals = new ArrayList<>(); // {step, loss}
        long peakRss = 0;
        LoraTrainer created;
        // The weights are copied into the engine; the mapping is released before training starts. Opened
        // as every PyTorch load opens them: config checked, a declared architecture must use every tensor.
        try (TensorSource source = PtBackend.openWeights(request.model(), config)) {
            created = LoraTrainer.create(config, WeightReader.of(source, request.model().toString()), lora, cfg.seed(),
                    DataType.FLOAT32, cfg.weightDecay());
        }
        try (LoraTrainer trainer = created) {
            int first = 0;
            if (request.resumeFrom() != null) {
                first = resume(request.resumeFrom(), trainer, log, evals);
            }
            // The loss before training: a resumed run has it in the evals it read from the checkpoint.
            if (first == 0 && !split.eval().isEmpty()) {
                double evalBefore = trainer.evalLoss(split.eval(), cfg.batchSize());
                if (!Double.isNaN(evalBefore)) {
                    evals.add(new double[] {0, evalBefore});
                }
            }
            int skippedInARow = 0;
            try (ProgressBar bar = bar(progress, plan.size(), first)) {
                for (int step = first; step < plan.size(); step++) {
                    PlannedStep planned = plan.get(step);
                    long t0 = System.nanoTime();
                    double lr = schedule.at(step);
                    LoraTrainer.StepResult r = trainer.step(planned.microBatches(), lr, cfg.maxGradNorm(),
                            cfg.seed() * 1_000_003L + step);
                    boolean finite = Double.isFinite(r.loss()) && Double.isFinite(r.gradNorm());
                    skippedInARow = finite ? 0 : skippedInARow + 1;
                    if (skippedInARow >= MAX_SKIPPED_STEPS) {
                        throw new BillionException("loss became " + r.loss() + " (gradient norm " + r.gradNorm()
                                + ") at steps " + (step + 2 - skippedInARow) + " to " + (step + 1)
                                + "; lower the learning rate (--lr) or check the data");
                    }
                    if (!finite && progress != null) {
                        progress.printf("[step %d skipped: loss %s, gradient norm %s]%n", step + 1, r.loss(),
                                r.gradNorm());
                    }
                    long inputTokens = 0;
                    for (List<Example> b : planned.microBatches()) {
                        for (Example e : b) {
                            inputTokens += e.ids().length;
                        }
                    }
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    if (finite) {
                        log.add(new LogEntry(step + 1, planned.epoch(), r.loss(), lr, r.gradNorm(),
                                inputTokens / seconds));
                    }
                    peakRss = Math.max(peakRss, rssKb());
                    if (bar != null) {
                        bar.stepTo(step + 1);
                        bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f lr %.2e %.0f tok/s", r.loss(), lr,
                                inputTokens / seconds));
                    }
                    boolean last = step + 1 == plan.size();
                    boolean checkpoint = cfg.saveEvery() > 0 && (step + 1) % cfg.saveEvery() == 0 && !last;
                    boolean epochEnd = planned.epoch() == Math.rint(planned.epoch());
                    if ((checkpoint || epochEnd) && !last && !split.eval().isEmpty()) {
                        evals.add(new double[] {step + 1, trainer.evalLoss(split.eval(), cfg.batchSize())});
                    }
                    if (checkpoint) {
                        checkpoint(request.output().resolve("checkpoint-" + (step + 1)), trainer, log, evals, plan.size(),
                                cfg, true);
                        writeLossFiles(request.output(), log, evals);
                    }
                }
            }
            double evalAfter = split.eval().isEmpty() ? Double.NaN : trainer.evalLoss(split.eval(), cfg.batchSize());
            if (!split.eval().isEmpty()) {
                evals.add(new double[] {plan.size(), evalAfter});
            }
            Path adapter = request.output().resolve(ADAPTER_DIR);
            checkpoint(adapter, trainer, log, evals, plan.size(), cfg, false);
            if (cfg.saveEvery() > 0) {
                checkpoint(request.output().resolve("checkpoint-" + plan.size()), trainer, log, evals, plan.size(), cfg,
                        true);
            }
            writeLossFiles(request.output(), log, evals);
            return new Result(adapter, List.copyOf(log), evals.isEmpty() ? Double.NaN : evals.get(0)[1], evalAfter,
                    split.train().size(), split.eval().size(), Duration.ofNanos(System.nanoTime() - start), peakRss);
        }
    }

    /**
     * Every optimizer step of the run: per epoch the training examples in a seeded order, cut into
     * micro-batches, {@code gradAccum} per step; the same list on every run with the same seed, so
     * a resumed run continues exactly where the checkpoint stopped.
     */
    static List<PlannedStep> plan(List<Example> train, TrainingConfig cfg) {
        List<PlannedStep> steps = new ArrayList<>();
        for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
            List<Example> order = new ArrayList<>(train);
            Collections.shuffle(order, new Random(cfg.seed() + 1 + epoch));
            List<List<Example>> batches = new ArrayList<>();
            for (int i = 0; i < order.size(); i += cfg.batchSize()) {
                batches.add(List.copyOf(order.subList(i, Math.min(order.size(), i + cfg.batchSize()))));
            }
            int perEpoch = (batches.size() + cfg.gradAccum() - 1) / cfg.gradAccum();
            for (int s = 0; s < perEpoch; s++) {
                List<List<Example>> micro = batches.subList(s * cfg.gradAccum(),
                        Math.min(batches.size(), (s + 1) * cfg.gradAccum()));
                steps.add(new PlannedStep(epoch + (s + 1.0) / perEpoch, List.copyOf(micro)));
                if (cfg.maxSteps() > 0 && steps.size() == cfg.maxSteps()) {
                    return steps;
                }
            }
        }
        return steps;
    }

    private static ProgressBar bar(PrintStream out, int total, int first) {
        if (out == null) {
            return null;
        }
        ProgressBar bar = new ProgressBarBuilder().setTaskName("finetune").setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed()
                .setConsumer(new ConsoleProgressBarConsumer(out, 110)).build();
        bar.stepTo(first);
        return bar;
    }

    /** Saves the adapter and the run's state (and, for a checkpoint, the optimizer moments) atomically. */
    static void checkpoint(Path dir, LoraTrainer trainer, List<LogEntry> log, List<double[]> evals, int maxSteps,
            TrainingConfig cfg, boolean withOptimizer) {
        LoraAdapter adapter = trainer.adapter();
        String state = state(log, evals, maxSteps, cfg, trainer.optimizer().steps());
        adapter.save(dir, Map.of(STATE_FILE, state));
        if (withOptimizer) {
            SafetensorsWriter w = new SafetensorsWriter().metadata("steps", Integer.toString(trainer.optimizer().steps()));
            List<NDArray> params = trainer.parameters();
            List<String> names = parameterNames(trainer);
            try (PtNoGrad off = PtNoGrad.enter()) {
                for (int i = 0; i < params.size(); i++) {
                    long[] shape = params.get(i).getShape().getShape();
                    w.addFloats(names.get(i) + ".exp_avg", DType.F32, shape, trainer.optimizer().firstMoments().get(i)
                            .toFloatArray());
                    w.addFloats(names.get(i) + ".exp_avg_sq", DType.F32, shape, trainer.optimizer().secondMoments().get(i)
                            .toFloatArray());
                }
            }
            // Written after the adapter folder exists; a crash between leaves a checkpoint that
            // resume refuses (no optimizer file) rather than one with stale moments.
            w.write(dir.resolve(OPTIMIZER_FILE));
        }
    }

    private static List<String> parameterNames(LoraTrainer trainer) {
        List<String> names = new ArrayList<>();
        trainer.modules().keySet().forEach(n -> {
            names.add(n + ".lora_A");
            names.add(n + ".lora_B");
        });
        return names;
    }

    /** A {@code trainer_state.json} like transformers' Trainer writes: steps, losses, learning rates. */
    static String state(List<LogEntry> log, List<double[]> evals, int maxSteps, TrainingConfig cfg, int optimizerSteps) {
        JsonObject o = new JsonObject();
        o.addProperty("global_step", optimizerSteps);
        o.addProperty("max_steps", maxSteps);
        o.addProperty("num_train_epochs", cfg.epochs());
        o.addProperty("train_batch_size", cfg.batchSize());
        o.addProperty("gradient_accumulation_steps", cfg.gradAccum());
        o.addProperty("learning_rate", cfg.learningRate());
        o.addProperty("lr_scheduler_type", cfg.schedule().name().toLowerCase(Locale.ROOT));
        o.addProperty("seed", cfg.seed());
        JsonArray history = new JsonArray();
        for (LogEntry e : log) {
            JsonObject h = new JsonObject();
            h.addProperty("step", e.step());
            h.addProperty("epoch", e.epoch());
            h.addProperty("loss", e.loss());
            h.addProperty("learning_rate", e.learningRate());
            h.addProperty("grad_norm", e.gradNorm());
            h.addProperty("tokens_per_second", e.tokensPerSecond());
            history.add(h);
        }
        for (double[] e : evals) {
            JsonObject h = new JsonObject();
            h.addProperty("step", (int) e[0]);
            h.addProperty("eval_loss", e[1]);
            history.add(h);
        }
        o.add("log_history", history);
        return new GsonBuilder().setPrettyPrinting().create().toJson(o);
    }

    /** Restores adapter, optimizer and history from a checkpoint; returns the next step index. */
    private static int resume(Path dir, LoraTrainer trainer, List<LogEntry> log, List<double[]> evals) {
        Path optimizer = dir.resolve(OPTIMIZER_FILE);
        if (!Files.isRegularFile(dir.resolve(STATE_FILE)) || !Files.isRegularFile(optimizer)) {
            throw new ConfigException(dir + ": not a complete checkpoint (needs " + STATE_FILE + " and " + OPTIMIZER_FILE
                    + "; resume from a checkpoint-N folder)");
        }
        LoraAdapter adapter = LoraAdapter.load(dir);
        if (adapter.config().rank() != trainer.loraConfig().rank()
                || !adapter.config().toBuilder().optBaseModel(null).build()
                        .equals(trainer.loraConfig().toBuilder().optBaseModel(null).build())) {
            throw new ConfigException(dir + ": checkpoint has " + adapter.config() + " but this run asks for "
                    + trainer.loraConfig() + "; resume with the same --rank, --alpha, --dropout and --targets");
        }
        trainer.load(adapter);
        JsonObject state = ModelConfigParser.readJson(dir.resolve(STATE_FILE));
        int steps = state.get("global_step").getAsInt();
        List<float[]> m = new ArrayList<>();
        List<float[]> v = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(optimizer)) {
            for (String name : parameterNames(trainer)) {
                m.add(f.floats(name + ".exp_avg"));
                v.add(f.floats(name + ".exp_avg_sq"));
            }
        }
        trainer.optimizer().restore(m, v, steps);
        for (JsonElement e : state.getAsJsonArray("log_history")) {
            JsonObject h = e.getAsJsonObject();
            if (h.has("loss")) {
                log.add(new LogEntry(h.get("step").getAsInt(), h.get("epoch").getAsDouble(), h.get("loss").getAsDouble(),
                        h.get("learning_rate").getAsDouble(), h.get("grad_norm").getAsDouble(),
                        h.get("tokens_per_second").getAsDouble()));
            } else if (h.has("eval_loss")) {
                evals.add(new double[] {h.get("step").getAsInt(), h.get("eval_loss").getAsDouble()});
            }
        }
        return steps;
    }

    /** {@value #LOSS_CSV} (one row per step, eval loss where measured) and the {@value #LOSS_PNG} chart. */
    static void writeLossFiles(Path out, List<LogEntry> log, List<double[]> evals) {
        StringBuilder csv = new StringBuilder("step,epoch,loss,learning_rate,grad_norm,tokens_per_second,eval_loss\n");
        for (LogEntry e : log) {
            String eval = "";
            for (double[] ev : evals) {
                if ((int) ev[0] == e.step()) {
                    eval = String.format(Locale.ROOT, "%.6f", ev[1]);
                }
            }
            csv.append(String.format(Locale.ROOT, "%d,%.4f,%.6f,%.6g,%.6g,%.1f,%s%n", e.step(), e.epoch(), e.loss(),
                    e.learningRate(), e.gradNorm(), e.tokensPerSecond(), eval));
        }
        writeAtomically(out.resolve(LOSS_CSV), csv.toString().getBytes(StandardCharsets.UTF_8));
        writeAtomically(out.resolve(LOSS_PNG), LossChart.png(log, evals));
    }

    static void writeAtomically(Path file, byte[] bytes) {
        try {
            AtomicFiles.write(file, bytes);
        } catch (IOException e) {
            throw new BillionException("cannot write " + file + ": " + e, e);
        }
    }

    /** Resident set size of this process in kB (Linux), or 0 where /proc is missing. */
    public static long rssKb() {
        return Math.max(0, ProcessMemory.rssKb());
    }

    /** A stream that discards everything (no progress bar output). */
    static PrintStream nowhere() {
        return new PrintStream(OutputStream.nullOutputStream());
    }
}
