package dev.billionllm.speculative;

/**
 * How many candidates a draft model proposes per round.
 *
 * <pre>{@code
 * DraftSchedule.fixed(5);     // always 5
 * DraftSchedule.adaptive(5);  // start at 5: +2 after a fully accepted round, -1 otherwise
 * }</pre>
 *
 * @param initial candidates of the first round
 * @param adaptive transformers' "heuristic" schedule of assisted generation (+2 when every candidate
 *     was accepted, -1 down to 1 otherwise); false keeps {@code initial}
 */
public record DraftSchedule(int initial, boolean adaptive) {

    /** Default candidates per round of a draft model. */
    public static final int DEFAULT_DRAFT_TOKENS = 5;

    public DraftSchedule {
        if (initial < 1) {
            throw new IllegalArgumentException("draft tokens must be >= 1, got " + initial);
        }
    }

    public static DraftSchedule fixed(int tokens) {
        return new DraftSchedule(tokens, false);
    }

    public static DraftSchedule adaptive(int initial) {
        return new DraftSchedule(initial, true);
    }

    /** The next round's length after a round that proposed {@code drafted} and kept {@code accepted}. */
    int next(int current, int drafted, int accepted) {
        if (!adaptive || drafted == 0) {
            return current;
        }
        return accepted == drafted ? current + 2 : Math.max(1, current - 1);
    }
}
