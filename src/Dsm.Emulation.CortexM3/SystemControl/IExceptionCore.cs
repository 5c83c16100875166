namespace Dsm.Emulation.CortexM3.SystemControl;

/// <summary>
/// What the exception controller needs from the processor core: the priority-boosting masks, the current
/// exception number and privilege. The CPU implements it and calls <see cref="ExceptionController.MasksChanged"/>
/// whenever PRIMASK, FAULTMASK or BASEPRI change, so the controller can keep its cached decisions current.
/// </summary>
public interface IExceptionCore
{
    /// <summary>PRIMASK; bit 0 (PM) set boosts the execution priority to 0.</summary>
    uint Primask { get; }

    /// <summary>FAULTMASK; bit 0 (FM) set boosts the execution priority to -1.</summary>
    uint Faultmask { get; }

    /// <summary>BASEPRI (bits 7:0; unimplemented low bits zero); 0 disables the boost.</summary>
    uint Basepri { get; }

    /// <summary>IPSR: the exception number being handled, 0 in Thread mode.</summary>
    uint Ipsr { get; }

    /// <summary>True in Handler mode or when CONTROL.nPRIV is clear.</summary>
    bool IsPrivileged { get; }

    /// <summary>
    /// VECTCLRACTIVE was written: the controller has cleared every active bit; the core must clear IPSR
    /// (Thread mode) to match.
    /// </summary>
    void ClearCurrentException();

    /// <summary>Sets the event register (SCR.SEVONPEND: an exception became pending). Wakes a WFE.</summary>
    void SignalEvent();
}
