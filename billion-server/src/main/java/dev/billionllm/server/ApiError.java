package dev.billionllm.server;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

/**
 * A request the server refuses, carried to the one place that writes it as OpenAI's error object
 * {@code {"error": {"message", "type", "param", "code"}}} with its HTTP status. The message is
 * written for the client: it names the field and what was expected, never a stack trace.
 */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String type;
    final String param;
    final String code;
    /** Seconds the client should wait before retrying (429/503), or 0 for no Retry-After header. */
    final int retryAfterSeconds;

    private ApiError(int status, String type, String param, String code, String message, int retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: a field has a wrong type or value. */
    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, "invalid_value", message, 0);
    }

    /** 400: the prompt leaves no room to generate. */
    static ApiError contextLengthExceeded(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, "context_length_exceeded", message, 0);
    }

    /** 400: the body is not the JSON object the endpoint expects. */
    static ApiError badBody(String message) {
        return new ApiError(400, "invalid_request_error", null, "invalid_json", message, 0);
    }

    /** 400: a field OpenAI defines that this server does not implement. */
    static ApiError unsupported(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, "unsupported_parameter", message, 0);
    }

    static ApiError unauthorized(String message) {
        return new ApiError(401, "authentication_error", null, "invalid_api_key", message, 0);
    }

    static ApiError modelNotFound(String model, String served) {
        return new ApiError(404, "invalid_request_error", "model", "model_not_found",
                "The model '" + model + "' does not exist on this server; it serves: " + served, 0);
    }

    static ApiError notFound(String path) {
        return new ApiError(404, "invalid_request_error", null, "unknown_url",
                "Unknown URL " + path + "; see GET /v1/models, POST /v1/chat/completions, POST /v1/completions, "
                        + "GET /health, GET /metrics", 0);
    }

    static ApiError methodNotAllowed(String method, String path, String allowed) {
        return new ApiError(405, "invalid_request_error", null, "method_not_allowed",
                method + " is not allowed on " + path + "; use " + allowed, 0);
    }

    static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", null, "request_too_large",
                "The request body is larger than this server's limit of " + limit + " bytes", 0);
    }

    static ApiError queueFull(int running, int queued) {
        return new ApiError(429, "rate_limit_error", null, "queue_full",
                "The server is busy (" + running + " generating, " + queued + " queued); retry later", 1);
    }

    static ApiError shuttingDown() {
        return new ApiError(503, "server_error", null, "shutting_down", "The server is shutting down", 5);
    }

    /** 500 with a generic message; the cause goes to the server's log, not to the client. */
    static ApiError internal() {
        return new ApiError(500, "server_error", null, "internal_error",
                "The server failed to process the request; the error is in the server log", 0);
    }

    JsonObject toJson() {
        JsonObject e = new JsonObject();
        e.addProperty("message", getMessage());
        e.addProperty("type", type);
        if (param == null) {
            e.add("param", JsonNull.INSTANCE);
        } else {
            e.addProperty("param", param);
        }
        e.addProperty("code", code);
        JsonObject o = new JsonObject();
        o.add("error", e);
        return o;
    }
}
