namespace Dsm.Emulation.CortexM3.State;

/// <summary>
/// A part of the machine that contributes one section to a machine state image (see docs/state-format.md).
/// The first field a component writes is its own section version (<see cref="StateWriter.WriteVersion"/>),
/// so a reader can reject layouts it does not know.
/// </summary>
public interface IStatefulComponent
{
    /// <summary>Unique section name: 1 to 64 characters from [a-z0-9._-] ("nvic", "mfs0").</summary>
    string SectionName { get; }

    /// <summary>Writes the component's complete state.</summary>
    /// <param name="writer">Destination of the section payload.</param>
    void SaveState(StateWriter writer);

    /// <summary>
    /// Replaces the component's state with the section's. Must read the whole payload and throw
    /// <see cref="StateFormatException"/> (via <see cref="StateReader"/>) on anything it cannot accept.
    /// </summary>
    /// <param name="reader">The section payload.</param>
    void LoadState(StateReader reader);
}
