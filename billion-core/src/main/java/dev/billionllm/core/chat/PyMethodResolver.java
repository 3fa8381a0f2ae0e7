package dev.billionllm.core.chat;

import jinjava.javax.el.ELContext;

/**
 * Lets templates call Python's {@code str} methods ({@code .strip()}, {@code .startswith()},
 * {@code .split()}, ...) and {@code dict} methods ({@code .keys()}, {@code .items()}, {@code .get(k,
 * default)}): jinjava would otherwise look for Java methods of those names, which are missing or
 * behave differently ({@code String.split} takes a regex and returns an array).
 */
final class PyMethodResolver extends ReadOnlyResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        String name = String.valueOf(method);
        if (base == null || !PyFilters.isMethod(base, name)) {
            return null;
        }
        context.setPropertyResolved(true);
        RenderBudget budget = RenderBudget.current();
        if (budget != null) {
            budget.check();
        }
        return PyFilters.callMethod(base, name, params == null ? new Object[0] : params);
    }
}
