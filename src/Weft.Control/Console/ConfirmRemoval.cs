using MudBlazor;

namespace Weft.Control.Console;

/// <summary>The one question asked before a machine is removed, the same from the list and the machine page.</summary>
internal static class ConfirmRemoval
{
    /// <summary>True when the user confirmed removing the machine <paramref name="name"/>.</summary>
    public static async Task<bool> AskAsync(IDialogService dialogs, string name) =>
        await dialogs.ShowMessageBoxAsync(new MessageBoxOptions
        {
            Title = $"Remove {name}?",
            Message = "It leaves the tailnet at once: peers drop it and its connection ends. To come back it must log in again.",
            YesText = "Remove",
            CancelText = "Cancel",
        }).ConfigureAwait(true) == true;
}
