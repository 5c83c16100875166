namespace Dsm.Peripherals.FM3.Serial;

/// <summary>
/// The host end of an emulated serial line. The emulator never blocks on it: received host bytes are
/// queued by the channel and taken one at a time at the line's modelled baud rate.
/// </summary>
public interface IByteChannel : IDisposable
{
    /// <summary>Takes the next byte the host sent, if one has arrived.</summary>
    /// <param name="value">The byte.</param>
    /// <returns>False when nothing is waiting.</returns>
    bool TryReceive(out byte value);

    /// <summary>Delivers a byte the guest transmitted to the host.</summary>
    /// <param name="value">The byte.</param>
    void Send(byte value);

    /// <summary>
    /// The transmitter has sent its last byte and nothing follows yet (the line is idle). A channel that gathers
    /// outgoing bytes hands them on now, as a serial adapter's receive timeout does; the rest need not act.
    /// </summary>
    void TransmitterIdle()
    {
    }

    /// <summary>Whether the channel gathers outgoing bytes and wants <see cref="TransmitterIdle"/>; a serial model need not keep time for one that does not.</summary>
    bool WantsTransmitterIdle => false;
}
