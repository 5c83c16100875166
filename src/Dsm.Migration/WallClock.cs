using System.Runtime.InteropServices;

namespace Dsm.Migration;

/// <summary>Wall-clock helpers of the scheduler and the pacers.</summary>
internal static class WallClock
{
    private const long NanosecondsPerSecond = 1_000_000_000;
    private const long NanosecondsPerTick = NanosecondsPerSecond / TimeSpan.TicksPerSecond;

    /// <summary>
    /// The clock's timestamp in 100 ns ticks. Split into seconds and remainder: a nanosecond timestamp (Linux counts
    /// from boot) times 10^7 overflows a long after about half an hour of host uptime.
    /// </summary>
    public static long Ticks(TimeProvider time)
    {
        long timestamp = time.GetTimestamp();
        long frequency = time.TimestampFrequency;
        if (frequency == NanosecondsPerSecond)
        {
            return timestamp / NanosecondsPerTick; // Linux and macOS: a division by a constant, no overflow
        }

        return (timestamp / frequency * TimeSpan.TicksPerSecond) + (timestamp % frequency * TimeSpan.TicksPerSecond / frequency);
    }
}

/// <summary>Sleeps shorter than a millisecond, which Monitor.Wait and Thread.Sleep cannot express.</summary>
internal static partial class PreciseSleep
{
    private const int PrSetTimerSlack = 29;

    /// <summary>Sleeps about <paramref name="ticks"/> (100 ns) without spinning where the OS allows it.</summary>
    public static void Sleep(long ticks)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            var request = new Timespec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
            _ = NanoSleep(ref request, IntPtr.Zero); // an early return (signal) only makes the worker look again
        }
        else
        {
            Thread.Yield();
        }
    }

    /// <summary>Linux delays timer wake-ups of ordinary threads by up to 50 µs to batch them; the worker wants 1 µs.</summary>
    public static void ReduceTimerSlack()
    {
        try
        {
            _ = Prctl(PrSetTimerSlack, 1000, 0, 0, 0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: keep the default slack.
        }
    }

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    private static partial int NanoSleep(ref Timespec request, IntPtr remaining);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
