package dev.billionllm.server;

import java.util.Locale;

/** What the one log line of a request says; filled in as the request goes. Used by one thread. */
final class RequestLog {
    final String remote;
    final String method;
    final String path;
    final long startNanos = System.nanoTime();
    int status;
    String model;
    int promptTokens = -1;
    int completionTokens = -1;
    long ttftMillis = -1;
    String finish;
    boolean clientGone;
    String error;

    RequestLog(String remote, String method, String path) {
        this.remote = remote;
        this.method = method;
        this.path = path;
    }

    String line() {
        StringBuilder s = new StringBuilder();
        s.append(remote).append(' ').append(method).append(' ').append(path).append(' ').append(status);
        s.append(String.format(Locale.ROOT, " %.1fms", (System.nanoTime() - startNanos) / 1e6));
        if (model != null) {
            s.append(" model=").append(model);
        }
        if (promptTokens >= 0) {
            s.append(" prompt_tokens=").append(promptTokens);
        }
        if (completionTokens >= 0) {
            s.append(" completion_tokens=").append(completionTokens);
        }
        if (ttftMillis >= 0) {
            s.append(" ttft_ms=").append(ttftMillis);
        }
        if (finish != null) {
            s.append(" finish=").append(finish);
        }
        if (clientGone) {
            s.append(" client_gone");
        }
        if (error != null) {
            s.append(" error=").append(error);
        }
        return s.toString();
    }
}
