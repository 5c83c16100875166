using Dsm.Emulation.CortexM3.Boards;
using Dsm.Peripherals.FM3;
using Dsm.Peripherals.FM3.Serial;
using Dsm.Peripherals.Mps2;

namespace Dsm.Migration;

/// <summary>
/// The boards the host can run, by the board id a device announces in HELLO. A definition is made per
/// hosted system, because boards own per-system resources (host channels of their serial ports).
/// </summary>
public sealed class BoardCatalog
{
    private readonly Dictionary<string, Func<BoardDefinition>> _boards = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A catalog with the boards Dsm ships: <c>mb9bf506n</c> (console on MFS0) and <c>mps2-an385</c> (console on UART0).</summary>
    /// <returns>The catalog.</returns>
    public static BoardCatalog CreateDefault()
    {
        var catalog = new BoardCatalog();
        catalog.Add(Mb9bf506nBoard.BoardName, () => Mb9bf506n.Definition([new UartBackendSpec(0, "stdio")]));
        catalog.Add(Mps2An385.Name, () => Mps2An385.Definition());
        return catalog;
    }

    /// <summary>The board ids known.</summary>
    public IEnumerable<string> BoardIds => _boards.Keys;

    /// <summary>Adds or replaces a board.</summary>
    /// <param name="boardId">The id devices announce.</param>
    /// <param name="factory">Makes a fresh definition for one hosted system.</param>
    public void Add(string boardId, Func<BoardDefinition> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(boardId);
        ArgumentNullException.ThrowIfNull(factory);
        _boards[boardId] = factory;
    }

    /// <summary>Makes a definition for <paramref name="boardId"/>, or null when the board is unknown.</summary>
    /// <param name="boardId">The id from HELLO.</param>
    /// <returns>A definition or null.</returns>
    public BoardDefinition? Create(string boardId) => _boards.TryGetValue(boardId, out var factory) ? factory() : null;
}
