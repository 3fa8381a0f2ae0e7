package dev.billionllm.core.spec;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.arch.Architecture;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.GenerationConfigParser;
import dev.billionllm.core.config.GenerationDefaults;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What billion-llm knows about a model before loading it: where it comes from (a Hugging Face Hub
 * repository at a revision, or a local folder), its architecture family, licence terms and the
 * generation settings we recommend. Immutable; build one with {@link #builder()}, derive one from
 * a local folder with {@link #forFolder(Path)}, and find registered ones in {@link ModelRegistry}.
 *
 * <pre>{@code
 * ModelSpec spec = ModelSpec.builder()
 *         .setId("my-llama")
 *         .setRepoId("my-org/my-llama-1b")
 *         .setFamily(Family.LLAMA)
 *         .optLicence("apache-2.0")
 *         .optParameterCount(1_100_048_384L)
 *         .build();
 * }</pre>
 */
public final class ModelSpec {

    /** Lower-case letters, digits, '.', '_' and '-': safe as a folder name and on a command line. */
    private static final Pattern ID = Pattern.compile("[a-z0-9._-]{1,96}");
    /** One part of a Hub repo id, as the Hub accepts it (its own limit is 96 characters). */
    private static final Pattern REPO_PART = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?");
    /** A branch, tag or commit; '/' allowed (branches like "refs/pr/1"). */
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._/-]{1,255}");

    private final String id;
    private final String repoId;
    private final String revision;
    private final Family family;
    private final boolean gated;
    private final String licence;
    private final long parameterCount;
    private final boolean hasChatTemplate;
    private final GenerationDefaults generationDefaults;
    private final String description;
    private final Path localDir;
    private final Architecture architecture;

    private ModelSpec(Builder b) {
        id = b.id;
        repoId = b.repoId;
        revision = b.revision;
        family = b.family;
        gated = b.gated;
        licence = b.licence;
        parameterCount = b.parameterCount;
        hasChatTemplate = b.hasChatTemplate;
        generationDefaults = b.generationDefaults;
        description = b.description;
        localDir = b.localDir;
        architecture = b.architecture;
    }

    /** A builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this spec's values, to derive a variant. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.repoId = repoId;
        b.revision = revision;
        b.family = family;
        b.gated = gated;
        b.licence = licence;
        b.parameterCount = parameterCount;
        b.hasChatTemplate = hasChatTemplate;
        b.generationDefaults = generationDefaults;
        b.description = description;
        b.localDir = localDir;
        b.architecture = architecture;
        return b;
    }

    /**
     * A spec for a plain local model folder that no one registered: the family and parameter count
     * come from its config.json, the generation defaults from its generation_config.json (if any),
     * and it has a chat template when {@code chat_template.jinja} exists or tokenizer_config.json
     * has a {@code chat_template}. The id is the folder name, lower-cased, with other characters
     * replaced by '-'; the licence is "unknown".
     *
     * @throws ConfigException when the folder has no config.json or it cannot be parsed
     * @throws dev.billionllm.core.UnsupportedModelException when its model_type is not supported
     */
    public static ModelSpec forFolder(Path folder) {
        Path dir = folder.toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new ConfigException(dir + ": not a model folder (no config.json); expected a Hugging Face"
                    + " model folder with config.json, or a registered model id");
        }
        ModelConfig config = ModelConfigParser.parse(dir.resolve("config.json"));
        return builder()
                .setId(idFromName(dir.getFileName() == null ? "" : dir.getFileName().toString()))
                .setFamily(config.family())
                .optLocalDir(dir)
                .optParameterCount(config.parameterCount())
                .optHasChatTemplate(hasChatTemplate(dir))
                .optGenerationDefaults(GenerationConfigParser.parse(dir))
                .optDescription("local folder " + dir)
                .build();
    }

    /** Turns a folder name into a legal id ("TinyLlama-1.1B" becomes "tinyllama-1.1b"). */
    static String idFromName(String name) {
        String id = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-");
        if (id.length() > 96) {
            id = id.substring(0, 96);
        }
        return id.isEmpty() || id.chars().allMatch(c -> c == '.') ? "local-model" : id;
    }

    private static boolean hasChatTemplate(Path dir) {
        // transformers prefers chat_template.jinja over the tokenizer_config.json entry; either counts.
        if (Files.isRegularFile(dir.resolve("chat_template.jinja"))) {
            return true;
        }
        Path tokenizerConfig = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(tokenizerConfig)) {
            return false;
        }
        JsonObject json = ModelConfigParser.readJson(tokenizerConfig);
        JsonElement template = json.get("chat_template");
        return template != null && !template.isJsonNull();
    }

    /** Short name used to look the model up, e.g. {@code tinyllama}; matches {@code [a-z0-9._-]+}. */
    public String id() {
        return id;
    }

    /** Hugging Face Hub repository ("org/name"); empty for a local-only spec. */
    public Optional<String> repoId() {
        return Optional.ofNullable(repoId);
    }

    /** Hub branch, tag or commit to download; "main" unless set. */
    public String revision() {
        return revision;
    }

    /** Architecture family (config.json {@code model_type}). */
    public Family family() {
        return family;
    }

    /** True when the Hub requires accepting the licence and a token to download. */
    public boolean gated() {
        return gated;
    }

    /** Licence identifier as the Hub shows it (e.g. "apache-2.0", "llama3.2"); "unknown" unless set. */
    public String licence() {
        return licence;
    }

    /** Number of parameters (embeddings counted once when tied); 0 when unknown. */
    public long parameterCount() {
        return parameterCount;
    }

    /** Whether the tokenizer ships a chat template (base models such as pythia do not). */
    public boolean hasChatTemplate() {
        return hasChatTemplate;
    }

    /** Recommended generation settings; fields the model folder's generation_config.json sets win. */
    public GenerationDefaults generationDefaults() {
        return generationDefaults;
    }

    /** One-line human description; may be empty. */
    public String description() {
        return description;
    }

    /** Folder holding the model files when the spec is local; empty for a Hub spec. */
    public Optional<Path> localDir() {
        return Optional.ofNullable(localDir);
    }

    /**
     * The architecture the spec declares for a {@code model_type} billion-llm does not know (a
     * built-in family with switches); empty when config.json's {@code model_type} is built in.
     */
    public Optional<Architecture> architecture() {
        return Optional.ofNullable(architecture);
    }

    /**
     * The model's config.json in {@code folder}, read with this spec's declared architecture (if
     * any). Loaders of a spec's model parse it this way, so a declared {@code model_type} works.
     */
    public ModelConfig config(Path folder) {
        return ModelConfigParser.parse(folder, architecture);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ModelSpec)) {
            return false;
        }
        ModelSpec s = (ModelSpec) o;
        return id.equals(s.id) && Objects.equals(repoId, s.repoId) && revision.equals(s.revision)
                && family == s.family && gated == s.gated && licence.equals(s.licence)
                && parameterCount == s.parameterCount && hasChatTemplate == s.hasChatTemplate
                && generationDefaults.equals(s.generationDefaults) && description.equals(s.description)
                && Objects.equals(localDir, s.localDir) && Objects.equals(architecture, s.architecture);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, repoId, revision, family, gated, licence, parameterCount, hasChatTemplate,
                generationDefaults, description, localDir, architecture);
    }

    @Override
    public String toString() {
        return "ModelSpec{" + id + ", " + (repoId != null ? repoId + "@" + revision : "local " + localDir)
                + ", " + family.modelType() + (gated ? ", gated" : "") + ", licence " + licence
                + (parameterCount > 0 ? ", " + parameterCount + " params" : "") + "}";
    }

    /**
     * Builds a {@link ModelSpec}. {@code set*} fields are required, {@code opt*} fields have the
     * default their Javadoc gives. Every setter rejects a bad value at once with an
     * {@link IllegalArgumentException}; {@link #build()} checks that the required fields are set.
     */
    public static final class Builder {
        private String id;
        private String repoId;
        private String revision = "main";
        private Family family;
        private boolean gated;
        private String licence = "unknown";
        private long parameterCount;
        private boolean hasChatTemplate;
        private GenerationDefaults generationDefaults = GenerationDefaults.empty();
        private String description = "";
        private Path localDir;
        private Architecture architecture;

        private Builder() {}

        /** Required: the lookup id, matching {@code [a-z0-9._-]+} (at most 96 characters). */
        public Builder setId(String id) {
            if (id == null || !ID.matcher(id).matches()) {
                throw new IllegalArgumentException("model id must match [a-z0-9._-]+ (lower case, at most 96"
                        + " characters), got " + quote(id) + "; for example \"tinyllama\" or \"llama-3.2-1b\"");
            }
            this.id = id;
            return this;
        }

        /**
         * Required unless {@link #optLocalDir(Path)} is set: the Hub repository, "org/name", each
         * part letters, digits, '.', '_' or '-', starting and ending with a letter or digit, with
         * no "--" or "..".
         */
        public Builder setRepoId(String repoId) {
            this.repoId = checkRepoId(repoId);
            return this;
        }

        /** Required: the architecture family. */
        public Builder setFamily(Family family) {
            if (family == null) {
                throw new IllegalArgumentException("family must not be null; supported: " + Family.supported());
            }
            this.family = family;
            return this;
        }

        /** Hub branch, tag or commit hash; default "main". */
        public Builder optRevision(String revision) {
            if (revision == null || !REVISION.matcher(revision).matches() || revision.contains("..")) {
                throw new IllegalArgumentException("revision must be a branch, tag or commit (letters, digits,"
                        + " '.', '_', '-', '/'), got " + quote(revision));
            }
            this.revision = revision;
            return this;
        }

        /** Whether the Hub repository is gated (licence acceptance and a token); default false. */
        public Builder optGated(boolean gated) {
            this.gated = gated;
            return this;
        }

        /** Licence identifier, not blank; default "unknown". */
        public Builder optLicence(String licence) {
            if (licence == null || licence.isBlank()) {
                throw new IllegalArgumentException("licence must not be blank (use \"unknown\")");
            }
            this.licence = licence;
            return this;
        }

        /** Number of parameters, &ge; 0; default 0, meaning unknown. */
        public Builder optParameterCount(long parameterCount) {
            if (parameterCount < 0) {
                throw new IllegalArgumentException("parameter count must be >= 0 (0 = unknown), got "
                        + parameterCount);
            }
            this.parameterCount = parameterCount;
            return this;
        }

        /** Whether the tokenizer ships a chat template; default false. */
        public Builder optHasChatTemplate(boolean hasChatTemplate) {
            this.hasChatTemplate = hasChatTemplate;
            return this;
        }

        /** Recommended generation settings; default {@link GenerationDefaults#empty()}. */
        public Builder optGenerationDefaults(GenerationDefaults defaults) {
            this.generationDefaults = Objects.requireNonNull(defaults, "generation defaults");
            return this;
        }

        /** One-line description; default empty. */
        public Builder optDescription(String description) {
            this.description = Objects.requireNonNull(description, "description");
            return this;
        }

        /** Folder that holds the model files (config.json, weights, tokenizer); default none (a Hub model). */
        public Builder optLocalDir(Path localDir) {
            this.localDir = Objects.requireNonNull(localDir, "localDir");
            return this;
        }

        /**
         * An architecture declared for the model's unknown {@code model_type}; default none. The
         * family defaults to the one it was declared like.
         */
        public Builder optArchitecture(Architecture architecture) {
            this.architecture = Objects.requireNonNull(architecture, "architecture");
            return this;
        }

        /**
         * The immutable spec.
         *
         * @throws IllegalArgumentException when id or family is missing, or neither a repo id nor a
         *     local folder is given
         */
        public ModelSpec build() {
            if (id == null) {
                throw new IllegalArgumentException("model spec needs an id (setId)");
            }
            if (architecture != null && family == null) {
                family = architecture.family();
            }
            if (architecture != null && family != architecture.family()) {
                throw new IllegalArgumentException("model spec \"" + id + "\" has family " + family.modelType()
                        + " but declares its architecture like " + architecture.family().modelType());
            }
            if (family == null) {
                throw new IllegalArgumentException("model spec \"" + id + "\" needs a family (setFamily); supported: "
                        + Family.supported());
            }
            if (repoId == null && localDir == null) {
                throw new IllegalArgumentException("model spec \"" + id
                        + "\" needs a Hub repo id (setRepoId) or a local folder (optLocalDir)");
            }
            return new ModelSpec(this);
        }
    }

    static String checkRepoId(String repoId) {
        String problem = null;
        if (repoId == null) {
            problem = "is missing";
        } else {
            String[] parts = repoId.split("/", -1);
            if (parts.length != 2) {
                problem = "must have the form \"org/name\"";
            } else if (!REPO_PART.matcher(parts[0]).matches() || !REPO_PART.matcher(parts[1]).matches()) {
                problem = "may only use letters, digits, '.', '_' and '-', starting and ending with a letter or"
                        + " digit, at most 96 characters per part";
            } else if (repoId.contains("--") || repoId.contains("..")) {
                problem = "must not contain \"--\" or \"..\"";
            }
        }
        if (problem != null) {
            throw new IllegalArgumentException("Hub repo id " + problem + ", got " + quote(repoId)
                    + "; for example \"TinyLlama/TinyLlama-1.1B-Chat-v1.0\"");
        }
        return repoId;
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
