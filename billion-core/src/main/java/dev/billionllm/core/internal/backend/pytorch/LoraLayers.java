package dev.billionllm.core.internal.backend.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.billionllm.core.adapter.LoraAdapter;
import dev.billionllm.core.adapter.LoraTargets;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.internal.model.Linear;
import dev.billionllm.core.internal.model.LinearHook;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Unmerged LoRA on the PyTorch backend: a {@link LinearHook} that wraps every adaptable projection
 * once at load time, after which adapters can be set, swapped and removed without touching the
 * base weights. A wrapped projection computes {@code base(x)} and adds each active module's delta
 * to its own row range ({@link LoraTargets.Module#offset()}), so a {@code q_proj} delta never
 * reaches the k or v rows of the fused q/k/v projection.
 *
 * <pre>{@code
 * LoraLayers lora = LoraLayers.of(config);
 * Transformer t = Transformer.load(config, reader, manager, lora);
 * lora.set(LoraAdapter.load(dir), manager);   // unmerged
 * lora.clear();                               // back to the base model
 * }</pre>
 *
 * <p>Not thread-safe against forward passes: swap adapters between them. The arrays of an adapter
 * set by {@link #set(LoraAdapter, NDManager)} or {@link #add} live in sub-managers that
 * {@link #clear()} and the next {@code set} close.
 */
public final class LoraLayers implements LinearHook, AutoCloseable {
    private final ModelConfig config;
    private final LoraTargets targets;
    private final Map<String, List<LoraModule>> active = new HashMap<>(); // module name -> arrays, one per adapter
    private final List<NDManager> adapterManagers = new ArrayList<>();
    private volatile boolean training;

    private LoraLayers(ModelConfig config) {
        this.config = config;
        this.targets = LoraTargets.of(config);
    }

    /** A hook for {@code config}'s architecture with no adapter set. */
    public static LoraLayers of(ModelConfig config) {
        return new LoraLayers(config);
    }

    public LoraTargets targets() {
        return targets;
    }

    @Override
    public Linear wrap(String role, Linear base) {
        List<LoraTargets.Module> parts = new ArrayList<>();
        for (LoraTargets.Module m : targets.modules()) {
            if (m.role().equals(role)) {
                parts.add(m);
            }
        }
        return parts.isEmpty() ? base : new LoraLinear(base, parts);
    }

    /**
     * Makes {@code adapter} the only active one; its matrices are copied into a new sub-manager of
     * {@code manager}.
     *
     * @throws dev.billionllm.core.WeightLoadException if the adapter does not fit this model
     */
    public synchronized void set(LoraAdapter adapter, NDManager manager) {
        clear();
        add(adapter, manager, DataType.FLOAT32);
    }

    /**
     * Activates {@code adapter} on top of those already active (their deltas add up, as PEFT's
     * {@code add_weighted_adapter} with weight 1 each), with arrays of {@code dtype}.
     */
    public synchronized void add(LoraAdapter adapter, NDManager manager, DataType dtype) {
        adapter.checkAgainst(targets);
        NDManager owner = manager.newSubManager();
        adapter.modules().forEach((name, w) -> active.computeIfAbsent(name, k -> new ArrayList<>()).add(new LoraModule(
                owner.create(w.a(), new Shape(w.rank(), w.in())).toType(dtype, false),
                owner.create(w.b(), new Shape(w.out(), w.rank())).toType(dtype, false),
                (float) adapter.scaling(name), (float) adapter.config().dropout())));
        adapterManagers.add(owner);
    }

    /**
     * Installs modules whose arrays the caller owns (a trainer's parameters); any previous adapter
     * is cleared.
     *
     * @throws IllegalArgumentException for a name that is not a module of this model
     */
    public synchronized void setModules(Map<String, LoraModule> modules) {
        for (String name : modules.keySet()) {
            if (targets.find(name) == null) {
                throw new IllegalArgumentException(name + " is not an adaptable module of this model; per layer: "
                        + targets.shortNames());
            }
        }
        clear();
        modules.forEach((name, m) -> active.put(name, new ArrayList<>(List.of(m))));
    }

    /** Names of the modules with at least one active adapter. */
    public synchronized java.util.Set<String> activeModules() {
        return java.util.Set.copyOf(active.keySet());
    }

    /** Removes every active adapter; the model computes the base projections again. */
    public synchronized void clear() {
        active.clear();
        adapterManagers.forEach(NDManager::close);
        adapterManagers.clear();
    }

    /** Turns LoRA dropout on (training) or off (inference, the default). */
    public void setTraining(boolean training) {
        this.training = training;
    }

    @Override
    public void close() {
        clear();
    }

    /** A projection plus the LoRA deltas of the modules inside its output rows. */
    private final class LoraLinear implements Linear {
        private final Linear base;
        private final List<LoraTargets.Module> parts;

        LoraLinear(Linear base, List<LoraTargets.Module> parts) {
            this.base = base;
            this.parts = List.copyOf(parts);
        }

        @Override
        public NDArray apply(NDArray x) {
            NDArray y = base.apply(x);
            List<List<LoraModule>> modules = new ArrayList<>(parts.size());
            boolean any = false;
            synchronized (LoraLayers.this) {
                for (LoraTargets.Module part : parts) {
                    List<LoraModule> list = active.get(part.name());
                    modules.add(list == null ? List.of() : List.copyOf(list));
                    any |= list != null;
                }
            }
            if (!any) {
                return y;
            }
            boolean train = training;
            if (parts.size() == 1) {
                return y.add(delta(parts.get(0), modules.get(0), x, train));
            }
            // Split the fused output at the module boundaries, add each delta to its own rows.
            long[] cuts = new long[parts.size() - 1];
            for (int i = 1; i < parts.size(); i++) {
                cuts[i - 1] = parts.get(i).offset();
            }
            int last = y.getShape().dimension() - 1;
            NDList pieces = y.split(cuts, last);
            NDList out = new NDList();
            for (int i = 0; i < parts.size(); i++) {
                NDArray p = pieces.get(i);
                out.add(modules.get(i).isEmpty() ? p : p.add(delta(parts.get(i), modules.get(i), x, train)));
            }
            return NDArrays.concat(out, last);
        }

        /** The summed deltas of {@code modules} on {@code part}'s rows. */
        private NDArray delta(LoraTargets.Module part, List<LoraModule> modules, NDArray x, boolean train) {
            NDArray sum = null;
            for (LoraModule m : modules) {
                NDArray d = delta(part, m, x, train);
                sum = sum == null ? d : sum.addi(d);
            }
            return sum;
        }

        private NDArray delta(LoraTargets.Module part, LoraModule module, NDArray x, boolean train) {
            if (!part.perHeadQkv()) {
                return module.delta(x, train);
            }
            // GPT-NeoX: the delta's outputs are [q_h, k_h, v_h] per head, as the checkpoint's
            // query_key_value rows; regroup them like the loader regroups the weight, to [all q | all k | all v].
            // Done on the delta (in the step's manager), not on B, so nothing lands in B's manager.
            long heads = config.numAttentionHeads();
            long d = config.headDim();
            NDArray delta = module.delta(x, train);
            Shape s = delta.getShape();
            long lead = s.size() / s.get(s.dimension() - 1);
            return delta.reshape(lead, heads, 3, d).transpose(0, 2, 1, 3).reshape(s);
        }

        @Override
        public long inFeatures() {
            return base.inFeatures();
        }

        @Override
        public long outFeatures() {
            return base.outFeatures();
        }
    }
}
