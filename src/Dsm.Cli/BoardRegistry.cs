using Dsm.Emulation.CortexM3.Boards;
using Dsm.Peripherals.Mps2;

namespace Dsm.Cli;

/// <summary>The boards the CLI can build machines for, by name.</summary>
public sealed class BoardRegistry
{
    /// <summary>The board <c>dsm run</c> uses when none is named.</summary>
    public const string DefaultBoardName = Mps2An385.Name;

    private readonly Dictionary<string, BoardDefinition> _boards = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A registry holding every board shipped with dsm.</summary>
    /// <returns>The registry.</returns>
    public static BoardRegistry CreateDefault()
    {
        var registry = new BoardRegistry();
        registry.Add(Mps2An385.Board);
        return registry;
    }

    /// <summary>The registered boards, by name.</summary>
    public IEnumerable<BoardDefinition> Boards => _boards.Values.OrderBy(b => b.Name, StringComparer.Ordinal);

    /// <summary>Registers a board under its name.</summary>
    /// <param name="board">The board.</param>
    public void Add(BoardDefinition board)
    {
        ArgumentNullException.ThrowIfNull(board);
        if (!_boards.TryAdd(board.Name, board))
        {
            throw new ArgumentException($"A board named '{board.Name}' is already registered.", nameof(board));
        }
    }

    /// <summary>Looks a board up by name (case-insensitive).</summary>
    /// <param name="name">Board name.</param>
    /// <param name="board">The board, when found.</param>
    /// <returns>Whether it was found.</returns>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BoardDefinition? board) => _boards.TryGetValue(name, out board);
}
