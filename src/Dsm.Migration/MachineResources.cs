using Dsm.Emulation.CortexM3;
using Dsm.Peripherals.FM3;

namespace Dsm.Migration;

/// <summary>Releases what a machine's devices hold on the host (sockets and streams of serial ports).</summary>
internal static class MachineResources
{
    public static void Release(Machine machine)
    {
        foreach (var device in machine.Devices.Values)
        {
            switch (device)
            {
                case Mb9bf506n.ResettableBoard board:
                    board.Board.Dispose();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }
}
