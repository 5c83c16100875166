namespace Dsm.Emulation.CortexM3.Registers;

/// <summary>How the guest's reads and writes act on a register field.</summary>
public enum FieldAccess
{
    /// <summary>Reads return the stored value; writes store the written value.</summary>
    ReadWrite,

    /// <summary>Reads return the stored value (or the field's value provider); writes are ignored.</summary>
    ReadOnly,

    /// <summary>Writes store the value (callbacks see it); reads return zero.</summary>
    WriteOnly,

    /// <summary>Writing 1 to a bit clears it; writing 0 leaves it. Reads return the stored value.</summary>
    WriteOneToClear,

    /// <summary>Writing 1 to a bit sets it; writing 0 leaves it. Reads return the stored value.</summary>
    WriteOneToSet,

    /// <summary>Writing 0 to a bit clears it; writing 1 leaves it (the FM3's interrupt-flag style). Reads return the stored value.</summary>
    WriteZeroToClear,

    /// <summary>Reads return the stored value and then clear it; writes are ignored.</summary>
    ReadToClear,
}
