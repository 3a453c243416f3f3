using MudBlazor;

namespace Weft.Control.Console.Layout;

/// <summary>The console's colours, light and dark.</summary>
internal static class ConsoleTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight { Primary = "#4f46e5", AppbarBackground = "#312e81" },
        PaletteDark = new PaletteDark { Primary = "#818cf8", AppbarBackground = "#1e1b4b" },
    };
}
