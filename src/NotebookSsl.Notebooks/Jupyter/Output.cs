namespace NotebookSsl.Notebooks.Jupyter;

/// <summary>
/// Output calls that only a live front-end has: <c>NotebookSsl.Notebooks.Jupyter.Output.Clear()</c> clears the
/// cell's outputs (Jupyter's clear_output). Under <c>nbssl run</c>, which keeps every output, it does nothing.
/// </summary>
public static class Output
{
    static Action<bool>? clear;

    internal static void SetClear(Action<bool>? handler) => clear = handler;

    /// <summary>Clears the running cell's outputs; with <paramref name="wait"/>, only when the next output comes (no flicker).</summary>
    public static void Clear(bool wait = false) => clear?.Invoke(wait);
}
