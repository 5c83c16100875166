using System.Text;
using Dsm.Emulation.CortexM3.Cpu;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.Semihosting;
using Microsoft.Extensions.Logging;
using Moq;

namespace Dsm.Runtime.Tests;

public class SemihostingHandlerTests
{
    private const uint Ram = 0x2000_0000;
    private const uint Block = Ram + 0x100;   // parameter blocks
    private const uint Text = Ram + 0x200;    // strings
    private const uint Buffer = Ram + 0x400;  // data buffers
    private const uint Rom = 0x0000_0000;
    private const uint Failure = 0xFFFF_FFFF;
    private const uint ApplicationExit = 0x20026;

    private MemoryBus _bus = null!;
    private CortexM3Cpu _cpu = null!;
    private MemoryStream _stdout = null!;
    private MemoryStream _stderr = null!;
    private ManualTimeProvider _time = null!;
    private SemihostingHandler _handler = null!;

    [SetUp]
    public void SetUp()
    {
        _bus = new MemoryBus();
        _bus.AddRom("rom", Rom, 0x1000);
        _bus.AddRam("ram", Ram, 0x1_0000);
        _cpu = new CortexM3Cpu(_bus);
        _stdout = new MemoryStream();
        _stderr = new MemoryStream();
        _time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        _handler = CreateHandler(stdin: Stream.Null);
    }

    private SemihostingHandler CreateHandler(Stream stdin, bool interactive = false, ILogger? logger = null) =>
        new(
            new SemihostingOptions
            {
                StandardOutput = _stdout,
                StandardError = _stderr,
                StandardInput = stdin,
                CommandLine = "firmware.elf --fast",
                TimeProvider = _time,
                ConsoleIsInteractive = interactive,
            },
            logger);

    private uint Call(SemihostingOperation operation, uint argument, SemihostingHandler? handler = null)
    {
        _cpu.SetRegister(0, (uint)operation);
        _cpu.SetRegister(1, argument);
        Assert.That((handler ?? _handler).OnBreakpoint(_cpu, SemihostingHandler.BreakpointImmediate), Is.True);
        return _cpu.GetRegister(0);
    }

    private uint CallWithBlock(SemihostingOperation operation, params uint[] block)
    {
        TestSupport.WriteWords(_bus, Block, block);
        return Call(operation, Block);
    }

    private uint OpenConsole(uint mode)
    {
        TestSupport.WriteString(_bus, Text, ":tt");
        return CallWithBlock(SemihostingOperation.Open, Text, mode, 3);
    }

    [Test]
    public void OtherBreakpointsAreNotClaimed()
    {
        _cpu.SetRegister(0, (uint)SemihostingOperation.Write0);
        Assert.That(_handler.OnBreakpoint(_cpu, 0x01), Is.False);
        Assert.That(_cpu.GetRegister(0), Is.EqualTo((uint)SemihostingOperation.Write0), "r0 untouched");
    }

    [Test]
    public void Write0WritesTheStringToStandardOutput()
    {
        TestSupport.WriteString(_bus, Text, "hello, world\n");
        uint result = Call(SemihostingOperation.Write0, Text);
        Assert.That(TestSupport.Text(_stdout), Is.EqualTo("hello, world\n"));
        Assert.That(result, Is.EqualTo(0xDEAD_BEEFu), "r0 is corrupted as QEMU does");
    }

    [Test]
    public void Write0ReadsStringsFromRom()
    {
        _bus.Load(Rom + 0x10, "rom text\0"u8);
        Call(SemihostingOperation.Write0, Rom + 0x10);
        Assert.That(TestSupport.Text(_stdout), Is.EqualTo("rom text"));
    }

    [Test]
    public void Write0FromAnUnmappedAddressWritesNothing()
    {
        Call(SemihostingOperation.Write0, 0x3000_0000);
        Assert.That(_stdout.Length, Is.Zero);
        Assert.That(_handler.Errno, Is.EqualTo(14u), "EFAULT");
    }

    [Test]
    public void Write0OfAStringRunningOffTheEndOfRamWritesNothing()
    {
        TestSupport.WriteString(_bus, Ram + 0xFFFC, "abcd", terminate: false);
        Call(SemihostingOperation.Write0, Ram + 0xFFFC);
        Assert.That(_stdout.Length, Is.Zero);
    }

    [Test]
    public void WriteCWritesOneCharacter()
    {
        TestSupport.WriteString(_bus, Text, "xyz");
        uint result = Call(SemihostingOperation.WriteC, Text);
        Assert.That(TestSupport.Text(_stdout), Is.EqualTo("x"));
        Assert.That(result, Is.EqualTo(0xDEAD_BEEFu));
    }

    [Test]
    public void OpeningTheConsoleGivesStdinStdoutAndStderrHandlesFromOne()
    {
        Assert.That(OpenConsole(0), Is.EqualTo(1u), "mode r → stdin");
        Assert.That(OpenConsole(4), Is.EqualTo(2u), "mode w → stdout");
        Assert.That(OpenConsole(8), Is.EqualTo(3u), "mode a → stderr");

        var message = "out"u8.ToArray();
        _bus.Load(Buffer, message);
        Assert.That(CallWithBlock(SemihostingOperation.Write, 2, Buffer, 3), Is.Zero);
        _bus.Load(Buffer, "err"u8);
        Assert.That(CallWithBlock(SemihostingOperation.Write, 3, Buffer, 3), Is.Zero);
        Assert.That(TestSupport.Text(_stdout), Is.EqualTo("out"));
        Assert.That(TestSupport.Text(_stderr), Is.EqualTo("err"));
    }

    [TestCase(3u, 1u)]
    [TestCase(7u, 2u)]
    [TestCase(11u, 3u)]
    public void ModeRangesChooseTheStream(uint mode, uint stream)
    {
        uint handle = OpenConsole(mode);
        _bus.Load(Buffer, "z"u8);
        uint notWritten = CallWithBlock(SemihostingOperation.Write, handle, Buffer, 1);
        Assert.That(notWritten, Is.EqualTo(stream == 1 ? 1u : 0u), "stdin cannot be written");
        Assert.That(_stdout.Length, Is.EqualTo(stream == 2 ? 1 : 0));
        Assert.That(_stderr.Length, Is.EqualTo(stream == 3 ? 1 : 0));
    }

    [Test]
    public void OpenWithAnInvalidModeFails()
    {
        Assert.That(OpenConsole(12), Is.EqualTo(Failure));
        Assert.That(Call(SemihostingOperation.Errno, 0), Is.EqualTo(22u), "EINVAL");
    }

    [Test]
    public void HostFilesCannotBeOpened()
    {
        TestSupport.WriteString(_bus, Text, "/etc/passwd");
        Assert.That(CallWithBlock(SemihostingOperation.Open, Text, 0, 11), Is.EqualTo(Failure));
        Assert.That(_handler.Errno, Is.EqualTo(2u), "ENOENT");
    }

    [Test]
    public void OpenWithABadParameterBlockFails()
    {
        Assert.That(Call(SemihostingOperation.Open, 0x3000_0000), Is.EqualTo(Failure));
        Assert.That(_handler.Errno, Is.EqualTo(14u));
        Assert.That(CallWithBlock(SemihostingOperation.Open, 0x3000_0000, 0, 3), Is.EqualTo(Failure), "bad name pointer");
    }

    [Test]
    public void WriteToAnUnknownHandleWritesNothingAndReturnsTheLength()
    {
        _bus.Load(Buffer, "hello\n"u8);
        Assert.That(CallWithBlock(SemihostingOperation.Write, 99, Buffer, 6), Is.EqualTo(6u));
        Assert.That(_handler.Errno, Is.EqualTo(9u), "EBADF");
        Assert.That(_stdout.Length, Is.Zero);
    }

    [Test]
    public void WriteFromABadBufferReturnsTheLength()
    {
        uint handle = OpenConsole(4);
        Assert.That(CallWithBlock(SemihostingOperation.Write, handle, 0x3000_0000, 6), Is.EqualTo(6u));
        Assert.That(_handler.Errno, Is.EqualTo(14u));
    }

    [Test]
    public void ReadTakesStandardInputIntoGuestMemory()
    {
        var handler = CreateHandler(new MemoryStream("abc"u8.ToArray()));
        TestSupport.WriteString(_bus, Text, ":tt");
        TestSupport.WriteWords(_bus, Block, Text, 0, 3);
        uint handle = Call(SemihostingOperation.Open, Block, handler);

        TestSupport.WriteWords(_bus, Block, handle, Buffer, 8);
        Assert.That(Call(SemihostingOperation.Read, Block, handler), Is.EqualTo(5u), "8 asked, 3 read");
        var got = new byte[3];
        _bus.TryPeek(Buffer, got);
        Assert.That(got, Is.EqualTo("abc"u8.ToArray()));

        Assert.That(Call(SemihostingOperation.Read, Block, handler), Is.EqualTo(8u), "end of input: nothing read");
    }

    [Test]
    public void ReadIntoRomFails()
    {
        var handler = CreateHandler(new MemoryStream("abc"u8.ToArray()));
        TestSupport.WriteString(_bus, Text, ":tt");
        TestSupport.WriteWords(_bus, Block, Text, 0, 3);
        uint handle = Call(SemihostingOperation.Open, Block, handler);
        TestSupport.WriteWords(_bus, Block, handle, Rom + 0x10, 3);
        Assert.That(Call(SemihostingOperation.Read, Block, handler), Is.EqualTo(3u));
        Assert.That(handler.Errno, Is.EqualTo(14u));
    }

    [Test]
    public void ReadCReturnsOneCharacterThenMinusOneAtEnd()
    {
        var handler = CreateHandler(new MemoryStream("Q"u8.ToArray()));
        Assert.That(Call(SemihostingOperation.ReadC, 0, handler), Is.EqualTo((uint)'Q'));
        Assert.That(Call(SemihostingOperation.ReadC, 0, handler), Is.EqualTo(Failure));
    }

    [Test]
    public void IsTtyFollowsTheHostSetting()
    {
        uint handle = OpenConsole(4);
        Assert.That(CallWithBlock(SemihostingOperation.IsTty, handle), Is.Zero);
        Assert.That(_handler.Errno, Is.EqualTo(25u), "ENOTTY");

        var interactive = CreateHandler(Stream.Null, interactive: true);
        TestSupport.WriteString(_bus, Text, ":tt");
        TestSupport.WriteWords(_bus, Block, Text, 4, 3);
        uint interactiveHandle = Call(SemihostingOperation.Open, Block, interactive);
        TestSupport.WriteWords(_bus, Block, interactiveHandle);
        Assert.That(Call(SemihostingOperation.IsTty, Block, interactive), Is.EqualTo(1u));
    }

    [Test]
    public void IsTtyOfAnUnknownHandleFails()
    {
        Assert.That(CallWithBlock(SemihostingOperation.IsTty, 77), Is.EqualTo(Failure));
        Assert.That(Call(SemihostingOperation.Errno, 0), Is.EqualTo(9u));
    }

    [Test]
    public void CloseReleasesTheHandleForReuse()
    {
        uint first = OpenConsole(4);
        Assert.That(CallWithBlock(SemihostingOperation.Close, first), Is.Zero);
        Assert.That(CallWithBlock(SemihostingOperation.Close, first), Is.EqualTo(Failure), "already closed");
        Assert.That(_handler.Errno, Is.EqualTo(9u));
        Assert.That(OpenConsole(8), Is.EqualTo(first), "lowest free handle again");
    }

    [Test]
    public void IsErrorTellsNegativeStatusValues()
    {
        Assert.That(CallWithBlock(SemihostingOperation.IsError, Failure), Is.EqualTo(1u));
        Assert.That(CallWithBlock(SemihostingOperation.IsError, 5), Is.Zero);
    }

    [Test]
    public void ClockCountsCentisecondsSinceStart()
    {
        Assert.That(Call(SemihostingOperation.Clock, 0), Is.Zero);
        _time.Advance(TimeSpan.FromMilliseconds(1234));
        Assert.That(Call(SemihostingOperation.Clock, 0), Is.EqualTo(123u));
        _handler.Reset();
        Assert.That(Call(SemihostingOperation.Clock, 0), Is.Zero, "a reset restarts the clock");
    }

    [Test]
    public void TimeIsUnixSeconds()
    {
        uint expected = (uint)new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        Assert.That(Call(SemihostingOperation.Time, 0), Is.EqualTo(expected));
    }

    [Test]
    public void ElapsedAndTickFrequencyAreInNanoseconds()
    {
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(Call(SemihostingOperation.TickFrequency, 0), Is.EqualTo(1_000_000_000u));
        Assert.That(Call(SemihostingOperation.Elapsed, Buffer), Is.Zero);
        ulong ticks = TestSupport.ReadWord(_bus, Buffer) | ((ulong)TestSupport.ReadWord(_bus, Buffer + 4) << 32);
        Assert.That(ticks, Is.EqualTo(5_000_000_000UL));
    }

    [Test]
    public void GetCommandLineCopiesTheTextAndItsLength()
    {
        Assert.That(CallWithBlock(SemihostingOperation.GetCommandLine, Buffer, 64), Is.Zero);
        Assert.That(TestSupport.ReadWord(_bus, Block + 4), Is.EqualTo(19u));
        var text = new byte[20];
        _bus.TryPeek(Buffer, text);
        Assert.That(Encoding.ASCII.GetString(text), Is.EqualTo("firmware.elf --fast\0"));
    }

    [Test]
    public void GetCommandLineIntoATooSmallBufferFails()
    {
        Assert.That(CallWithBlock(SemihostingOperation.GetCommandLine, Buffer, 19), Is.EqualTo(Failure), "no room for the NUL");
        Assert.That(_handler.Errno, Is.EqualTo(7u), "E2BIG");
    }

    [Test]
    public void CommandLineOverrideWins()
    {
        _handler.CommandLine = "other";
        Assert.That(CallWithBlock(SemihostingOperation.GetCommandLine, Buffer, 64), Is.Zero);
        Assert.That(TestSupport.ReadWord(_bus, Block + 4), Is.EqualTo(5u));
    }

    [Test]
    public void HeapInfoWritesTheFourWordsThroughAPointer()
    {
        _handler.HeapInfo = new SemihostingHeapInfo(0x2100_0000, 0x2200_0000, 0x2200_0000, 0x2100_0000);
        TestSupport.WriteWords(_bus, Block, Buffer); // r1 → word holding the block's address
        Assert.That(Call(SemihostingOperation.HeapInfo, Block), Is.Zero);
        Assert.That(TestSupport.ReadWord(_bus, Buffer), Is.EqualTo(0x2100_0000u));
        Assert.That(TestSupport.ReadWord(_bus, Buffer + 4), Is.EqualTo(0x2200_0000u));
        Assert.That(TestSupport.ReadWord(_bus, Buffer + 8), Is.EqualTo(0x2200_0000u));
        Assert.That(TestSupport.ReadWord(_bus, Buffer + 12), Is.EqualTo(0x2100_0000u));
    }

    [Test]
    public void HeapInfoIntoRomFails()
    {
        TestSupport.WriteWords(_bus, Block, Rom + 0x20);
        Assert.That(Call(SemihostingOperation.HeapInfo, Block), Is.EqualTo(Failure));
        Assert.That(_handler.Errno, Is.EqualTo(14u));
        Assert.That(TestSupport.ReadWord(_bus, Rom + 0x20), Is.Zero);
    }

    [Test]
    public void ExitWithApplicationExitIsZero()
    {
        _cpu.SetRegister(0, (uint)SemihostingOperation.Exit);
        _cpu.SetRegister(1, ApplicationExit);
        Assert.That(_handler.OnBreakpoint(_cpu, SemihostingHandler.BreakpointImmediate), Is.True);
        Assert.That(_handler.ExitCode, Is.Zero);
        Assert.That(_handler.ExitReason, Is.EqualTo(ApplicationExit));
        Assert.That(_cpu.GetRegister(0), Is.EqualTo((uint)SemihostingOperation.Exit), "r0 is left alone");
    }

    [TestCase(0x20024u)] // ADP_Stopped_RunTimeErrorUnknown
    [TestCase(0x20000u)] // ADP_Stopped_BranchThroughZero
    [TestCase(0u)]
    public void ExitWithAnyOtherReasonIsOne(uint reason)
    {
        Call(SemihostingOperation.Exit, reason);
        Assert.That(_handler.ExitCode, Is.EqualTo(1));
        Assert.That(_handler.ExitReason, Is.EqualTo(reason));
    }

    [Test]
    public void ExitExtendedCarriesTheSubcode()
    {
        CallWithBlock(SemihostingOperation.ExitExtended, ApplicationExit, 42);
        Assert.That(_handler.ExitCode, Is.EqualTo(42));
    }

    [Test]
    public void ExitExtendedWithAnotherReasonIsOne()
    {
        CallWithBlock(SemihostingOperation.ExitExtended, 0x20024, 42);
        Assert.That(_handler.ExitCode, Is.EqualTo(1));
    }

    [Test]
    public void ExitExtendedWithABadBlockFailsAndDoesNotExit()
    {
        Assert.That(Call(SemihostingOperation.ExitExtended, 0x3000_0000), Is.EqualTo(Failure));
        Assert.That(_handler.ExitCode, Is.Null);
        Assert.That(_handler.Errno, Is.EqualTo(14u));
    }

    [Test]
    public void ExitFlushesTheOutputs()
    {
        var stdout = new RecordingStream();
        var handler = new SemihostingHandler(new SemihostingOptions { StandardOutput = stdout });
        Call(SemihostingOperation.Exit, ApplicationExit, handler);
        Assert.That(stdout.Flushes, Is.GreaterThan(0));
    }

    [Test]
    public void ResetForgetsTheExitAndTheHandles()
    {
        uint handle = OpenConsole(4);
        Call(SemihostingOperation.Exit, ApplicationExit);
        _handler.Reset();
        Assert.That(_handler.ExitCode, Is.Null);
        Assert.That(_handler.ExitReason, Is.Null);
        Assert.That(CallWithBlock(SemihostingOperation.IsTty, handle), Is.EqualTo(Failure), "handles are gone");
    }

    [Test]
    public void UnsupportedOperationsFailWithEnosysAndAreLoggedOnce()
    {
        var logger = new Mock<ILogger>();
        logger.Setup(l => l.IsEnabled(It.IsAny<LogLevel>())).Returns(true);
        var handler = CreateHandler(Stream.Null, logger: logger.Object);

        Assert.That(Call((SemihostingOperation)0x99, 0, handler), Is.EqualTo(Failure));
        Assert.That(handler.Errno, Is.EqualTo(38u), "ENOSYS");
        Assert.That(Call((SemihostingOperation)0x99, 0, handler), Is.EqualTo(Failure));
        Assert.That(Call(SemihostingOperation.Remove, Block, handler), Is.EqualTo(Failure));

        logger.Verify(
            l => l.Log(LogLevel.Warning, It.IsAny<EventId>(), It.IsAny<It.IsAnyType>(), It.IsAny<Exception?>(), It.IsAny<Func<It.IsAnyType, Exception?, string>>()),
            Times.Exactly(2));
    }

    [Test]
    public void ErrnoIsKeptUntilTheNextFailure()
    {
        CallWithBlock(SemihostingOperation.Close, 50);
        TestSupport.WriteString(_bus, Text, "ok\n");
        Call(SemihostingOperation.Write0, Text);
        Assert.That(Call(SemihostingOperation.Errno, 0), Is.EqualTo(9u));
    }

    [Test]
    public void TheFeaturesFileAdvertisesExitExtendedAndSeparateStderr()
    {
        TestSupport.WriteString(_bus, Text, ":semihosting-features");
        uint handle = CallWithBlock(SemihostingOperation.Open, Text, 0, 21);
        Assert.That(handle, Is.Not.EqualTo(Failure));
        Assert.That(CallWithBlock(SemihostingOperation.FileLength, handle), Is.EqualTo(5u));
        Assert.That(CallWithBlock(SemihostingOperation.Read, handle, Buffer, 16), Is.EqualTo(11u));
        var content = new byte[5];
        _bus.TryPeek(Buffer, content);
        Assert.That(content, Is.EqualTo(new byte[] { 0x53, 0x48, 0x46, 0x42, 0x03 }));

        Assert.That(CallWithBlock(SemihostingOperation.Seek, handle, 4), Is.Zero);
        Assert.That(CallWithBlock(SemihostingOperation.Read, handle, Buffer, 16), Is.EqualTo(15u));
        Assert.That(CallWithBlock(SemihostingOperation.Seek, handle, 6), Is.EqualTo(Failure));

        Assert.That(CallWithBlock(SemihostingOperation.Open, Text, 4, 21), Is.EqualTo(Failure), "read-only");
        Assert.That(_handler.Errno, Is.EqualTo(13u));
    }

    [Test]
    public void TheConsoleCannotSeekAndHasNoLength()
    {
        uint handle = OpenConsole(4);
        Assert.That(CallWithBlock(SemihostingOperation.Seek, handle, 0), Is.EqualTo(Failure));
        Assert.That(_handler.Errno, Is.EqualTo(29u), "ESPIPE");
        Assert.That(CallWithBlock(SemihostingOperation.FileLength, handle), Is.Zero);
    }

    [Test]
    public void AFailingHostStreamDoesNotThrow()
    {
        var broken = new RecordingStream { Broken = true };
        var handler = new SemihostingHandler(new SemihostingOptions { StandardOutput = broken });
        TestSupport.WriteString(_bus, Text, "lost\n");
        Assert.DoesNotThrow(() => Call(SemihostingOperation.Write0, Text, handler));
        Assert.That(broken.WriteAttempts, Is.EqualTo(1));
    }
}

/// <summary>A memory stream that counts flushes and can fail every write like a closed pipe.</summary>
internal sealed class RecordingStream : MemoryStream
{
    public bool Broken { get; init; }

    public int Flushes { get; private set; }

    public int WriteAttempts { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        WriteAttempts++;
        if (Broken)
        {
            throw new IOException("pipe closed");
        }

        base.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush()
    {
        Flushes++;
        base.Flush();
    }
}
