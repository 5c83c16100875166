namespace Dsm.Emulation.CortexM3.SystemControl;

/// <summary>
/// What the exception controller needs from the processor core: the priority-boosting masks, the current
/// exception number and privilege. The CPU implements it and calls <see cref="ExceptionController.MasksChanged"/>
/// whenever PRIMASK, FAULTMASK or BASEPRI change, so the controller can keep its cached decisions current.
/// </summary>
public interface IExceptionCore
{
    /// <summary>PRIMASK.PM: when set, execution priority is boosted to 0.</summary>
    bool Primask { get; }

    /// <summary>FAULTMASK.FM: when set, execution priority is boosted to -1.</summary>
    bool Faultmask { get; }

    /// <summary>BASEPRI as stored (unimplemented low bits zero); 0 disables the boost.</summary>
    byte Basepri { get; }

    /// <summary>IPSR: the exception number being handled, 0 in Thread mode.</summary>
    int CurrentException { get; }

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
