package dev.billionllm.core;

/** A config file (config.json, generation_config.json, tokenizer_config.json, a spec file) is missing, malformed or inconsistent. */
public class ConfigException extends BillionException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
