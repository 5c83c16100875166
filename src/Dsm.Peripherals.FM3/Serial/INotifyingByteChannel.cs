namespace Dsm.Peripherals.FM3.Serial;

/// <summary>
/// A host channel that says when bytes arrive, so a UART need not poll it while its line is idle: an idle
/// hosted system then costs nothing between its own timer events.
/// </summary>
public interface INotifyingByteChannel : IByteChannel
{
    /// <summary>
    /// Raised on any thread after bytes were queued for <see cref="IByteChannel.TryReceive"/>. Handlers must be quick
    /// and must not touch the emulated machine (they hand the news to the machine's thread).
    /// </summary>
    event Action? BytesArrived;
}
