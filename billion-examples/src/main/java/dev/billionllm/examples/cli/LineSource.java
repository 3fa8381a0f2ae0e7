package dev.billionllm.examples.cli;

import java.io.BufferedReader;
import java.io.IOException;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * Lines typed by the user: through JLine (editing, history) on a real terminal, or plain lines
 * from piped stdin and tests.
 */
abstract class LineSource implements AutoCloseable {

    /** Next line, or null at end of input. */
    abstract String readLine(String prompt) throws IOException;

    @Override
    public abstract void close() throws IOException;

    static LineSource open(BufferedReader in, boolean interactive) throws IOException {
        if (interactive) {
            Terminal terminal = TerminalBuilder.builder().system(true).build();
            LineReader reader = LineReaderBuilder.builder().terminal(terminal).build();
            return new LineSource() {
                @Override
                String readLine(String prompt) {
                    try {
                        return reader.readLine(prompt);
                    } catch (EndOfFileException | UserInterruptException e) {
                        return null;
                    }
                }

                @Override
                public void close() throws IOException {
                    terminal.close();
                }
            };
        }
        return new LineSource() {
            @Override
            String readLine(String prompt) throws IOException {
                return in.readLine();
            }

            @Override
            public void close() {}
        };
    }
}
