using Dsm.Emulation.CortexM3.Boards;
using Dsm.Peripherals.FM3;
using Dsm.Peripherals.FM3.Serial;
using Dsm.Peripherals.Mps2;

namespace Dsm.Cli;

/// <summary>The boards the CLI can build machines for, by name.</summary>
public sealed class BoardRegistry
{
    /// <summary>The board <c>dsm run</c> uses when none is named.</summary>
    public const string DefaultBoardName = Mps2An385.Name;

    private readonly Dictionary<string, (BoardDefinition Board, Func<IReadOnlyList<string>, BoardDefinition>? WithUarts)> _boards =
        new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A registry holding every board shipped with dsm.</summary>
    /// <returns>The registry.</returns>
    public static BoardRegistry CreateDefault()
    {
        var registry = new BoardRegistry();
        registry.Add(Mps2An385.Board, uarts => Mps2An385.Definition(uarts.Select(UartBackendSpec.Parse)));
        registry.Add(Mb9bf506n.Definition(), uarts => Mb9bf506n.Definition(uarts.Select(UartBackendSpec.Parse)));
        return registry;
    }

    /// <summary>The registered boards (without host channels), by name.</summary>
    public IEnumerable<BoardDefinition> Boards => _boards.Values.Select(entry => entry.Board).OrderBy(b => b.Name, StringComparer.Ordinal);

    /// <summary>Registers a board under its name.</summary>
    /// <param name="board">The board.</param>
    /// <param name="withUarts">
    /// Builds the board with host channels for its UARTs from <c>--uart</c> values; null when the board has none to connect.
    /// It may throw <see cref="FormatException"/> for a value it does not understand.
    /// </param>
    public void Add(BoardDefinition board, Func<IReadOnlyList<string>, BoardDefinition>? withUarts = null)
    {
        ArgumentNullException.ThrowIfNull(board);
        if (!_boards.TryAdd(board.Name, (board, withUarts)))
        {
            throw new ArgumentException($"A board named '{board.Name}' is already registered.", nameof(board));
        }
    }

    /// <summary>Looks a board up by name (case-insensitive), without host channels.</summary>
    /// <param name="name">Board name.</param>
    /// <param name="board">The board, when found.</param>
    /// <returns>Whether it was found.</returns>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BoardDefinition? board)
    {
        board = _boards.TryGetValue(name, out var entry) ? entry.Board : null;
        return board is not null;
    }

    /// <summary>The board named <paramref name="name"/> with its UARTs connected as <paramref name="uarts"/> says.</summary>
    /// <param name="name">Board name.</param>
    /// <param name="uarts"><c>--uart</c> values (<c>CHANNEL=BACKEND</c>); empty for none.</param>
    /// <returns>The board definition.</returns>
    /// <exception cref="UsageException">The board is unknown, has no UARTs to connect, or a value is malformed.</exception>
    public BoardDefinition Create(string name, IReadOnlyList<string> uarts)
    {
        ArgumentNullException.ThrowIfNull(uarts);
        if (!_boards.TryGetValue(name, out var entry))
        {
            throw new UsageException($"unknown board '{name}' (known: {string.Join(", ", Boards.Select(b => b.Name))})");
        }

        if (uarts.Count == 0)
        {
            return entry.Board;
        }

        if (entry.WithUarts is null)
        {
            throw new UsageException($"board '{entry.Board.Name}' has no UARTs that --uart can connect");
        }

        try
        {
            return entry.WithUarts(uarts);
        }
        catch (FormatException e)
        {
            throw new UsageException($"option '--uart' {e.Message}");
        }
    }
}
