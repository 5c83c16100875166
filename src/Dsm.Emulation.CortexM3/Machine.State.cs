using System.Runtime.CompilerServices;
using Dsm.Emulation.CortexM3.Cpu;
using Dsm.Emulation.CortexM3.State;
using Microsoft.Extensions.Logging;

namespace Dsm.Emulation.CortexM3;

/// <summary>Whole-machine state export and import (docs/state-format.md).</summary>
public sealed partial class Machine
{
    private readonly IStatefulComponent _coreState;
    private readonly MemoryContentsState _memoryState;

    // The core's sleep state as the `core` section stores it.
    private enum SleepState : byte
    {
        Running = 0,
        WaitForInterrupt = 1,
        WaitForEvent = 2,
        SleepOnExit = 3,
        LockedUp = 4,
    }

    private enum LoopEnd
    {
        Exited,
        Cancelled,
        InstructionLimit,
        TimeLimit,
        Sleeping,
        SleepingUntilLater,
        CoreStopped,
    }

    /// <summary>
    /// The machine's sections in load order: virtual time first (components re-arm timed events relative to it),
    /// the exception state before the core (whose IPSR must name an active exception), then memory, semihosting
    /// and every device that keeps state, in the order the board registered them.
    /// </summary>
    private IEnumerable<IStatefulComponent> StateComponents
    {
        get
        {
            var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
            var components = new List<IStatefulComponent> { Scheduler };
            components.AddRange(SystemControl.StateComponents);
            components.Add(_coreState);
            components.Add(_memoryState);
            components.Add(Semihosting);
            foreach (var device in _deviceOrder)
            {
                if (device is IStatefulComponent stateful && seen.Add(device))
                {
                    components.Add(stateful);
                }
            }

            return components;
        }
    }

    /// <summary>
    /// Saves the whole machine: virtual time, the core (registers, both stack pointers, xPSR with IT/ICI, masks,
    /// CONTROL, event register, exclusive monitor, sleep state, counters), NVIC, SCB, SysTick, MPU, DWT, memory,
    /// semihosting and device state. Call between runs, on the thread that runs the machine.
    /// </summary>
    /// <returns>A state image; <see cref="ImportState"/> on a machine of the same board continues exactly as this one would.</returns>
    public byte[] ExportState()
    {
        EnsureNotRunning();
        FlushOutputs();
        return MachineStateImage.Export(StateComponents);
    }

    /// <summary>
    /// Replaces the machine's state with an image from <see cref="ExportState"/> (or a migration): including state
    /// guest software cannot write (active exceptions, IPSR, Handler mode). The image is validated before anything is
    /// touched; a section rejected while loading leaves the machine partly loaded, so discard or reset it then. The
    /// loaded image (<see cref="LoadElf(Elf.ElfImage)"/>) is kept for symbols and semihosting's heap information.
    /// </summary>
    /// <param name="image">The state image.</param>
    /// <param name="ignoreUnknownSections">True to skip sections this machine has no component for.</param>
    /// <exception cref="StateFormatException">The image is invalid or does not fit this board.</exception>
    public void ImportState(ReadOnlyMemory<byte> image, bool ignoreUnknownSections = false)
    {
        EnsureNotRunning();
        MachineStateImage.Import(image, StateComponents, ignoreUnknownSections);
        _pendingReset = null;
        _pacerAnchored = false; // the time the machine was stopped is not lag
        CopyCoreConfiguration();
        _logger.LogDebug("Imported state at virtual time {Time}, pc=0x{Pc:X8}", Scheduler.Now, Cpu.Pc);
    }

    private void EnsureNotRunning()
    {
        if (Scheduler.InCoreSlice)
        {
            throw new InvalidOperationException("The machine's state cannot be exported or imported while the core runs.");
        }
    }

    // Transitional access to the core's exclusive monitor, which it does not expose yet.
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_monitorOpen")]
    private static extern ref bool MonitorOpen(CortexM3Cpu cpu);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_monitorAddress")]
    private static extern ref uint MonitorAddress(CortexM3Cpu cpu);

    /// <summary>The `core` section, built from the core's architectural registers and the machine's sleep state.</summary>
    private sealed class CoreStateSection(Machine machine) : IStatefulComponent
    {
        private const ushort Version = 1;
        private const uint XpsrDefinedBits = 0xFF00_FDFF; // flags, IT/ICI, T, IPSR

        public string SectionName => "core";

        public void SaveState(StateWriter writer)
        {
            ArgumentNullException.ThrowIfNull(writer);
            var cpu = machine.Cpu;
            writer.WriteVersion(Version);
            for (int n = 0; n <= 12; n++)
            {
                writer.WriteUInt32(cpu.GetRegister(n));
            }

            writer.WriteUInt32(cpu.Lr);
            writer.WriteUInt32(cpu.Pc);
            writer.WriteUInt32(cpu.Msp);
            writer.WriteUInt32(cpu.Psp);
            writer.WriteUInt32(cpu.Xpsr);
            writer.WriteUInt32(cpu.Primask);
            writer.WriteUInt32(cpu.Faultmask);
            writer.WriteUInt32(cpu.Basepri);
            writer.WriteUInt32(cpu.Control);
            writer.WriteBoolean(cpu.EventRegister);
            bool monitorOpen = MonitorOpen(cpu);
            writer.WriteBoolean(monitorOpen);
            writer.WriteUInt32(monitorOpen ? MonitorAddress(cpu) : 0);
            writer.WriteByte((byte)machine._sleep);
            writer.WriteUInt64(cpu.Cycles);
            writer.WriteUInt64(cpu.Instructions);
        }

        public void LoadState(StateReader reader)
        {
            ArgumentNullException.ThrowIfNull(reader);
            reader.ReadVersion(Version);
            var registers = new uint[13];
            for (int n = 0; n <= 12; n++)
            {
                registers[n] = reader.ReadUInt32();
            }

            uint lr = reader.ReadUInt32(), pc = reader.ReadUInt32(), msp = reader.ReadUInt32(), psp = reader.ReadUInt32();
            uint xpsr = reader.ReadUInt32(), primask = reader.ReadUInt32(), faultmask = reader.ReadUInt32();
            uint basepri = reader.ReadUInt32(), control = reader.ReadUInt32();
            bool eventRegister = reader.ReadBoolean(), monitorOpen = reader.ReadBoolean();
            uint monitorAddress = reader.ReadUInt32();
            byte sleep = reader.ReadByte();
            ulong cycles = reader.ReadUInt64(), instructions = reader.ReadUInt64();

            uint ipsr = xpsr & 0x1FF;
            var exceptions = machine.SystemControl.Exceptions;
            if ((pc & 1) != 0 || ((msp | psp) & 3) != 0)
            {
                throw reader.Corrupt("PC bit 0 or stack pointer bits 1:0 are set");
            }

            if ((xpsr & ~XpsrDefinedBits) != 0 || primask > 1 || faultmask > 1 || basepri > 0xFF || control > 3 || sleep > (byte)SleepState.LockedUp)
            {
                throw reader.Corrupt("a special register has reserved bits set, or the sleep state is unknown");
            }

            if (ipsr >= exceptions.ExceptionCount || (ipsr != 0 && !exceptions.IsActive((int)ipsr)))
            {
                throw reader.Corrupt($"IPSR {ipsr} does not name an active exception of this machine");
            }

            if (ipsr != 0 && (control & 2) != 0)
            {
                throw reader.Corrupt("Handler mode with CONTROL.SPSEL set (Handler mode always uses the main stack)");
            }

            var cpu = machine.Cpu;
            cpu.Control = control;
            cpu.Msp = msp;
            cpu.Psp = psp;
            for (int n = 0; n <= 12; n++)
            {
                cpu.SetRegister(n, registers[n]);
            }

            cpu.Lr = lr;
            cpu.Pc = pc;
            cpu.Xpsr = xpsr;
            cpu.Primask = primask;
            cpu.Faultmask = faultmask;
            cpu.Basepri = basepri;
            cpu.EventRegister = eventRegister;
            MonitorOpen(cpu) = monitorOpen;
            MonitorAddress(cpu) = monitorOpen ? monitorAddress : 0;
            cpu.Cycles = cycles;
            cpu.Instructions = instructions;
            machine._sleep = (SleepState)sleep;
        }
    }
}
