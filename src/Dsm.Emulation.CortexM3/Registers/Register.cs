namespace Dsm.Emulation.CortexM3.Registers;

/// <summary>
/// One peripheral register: offset, width, reset value and the fields that give its bits meaning.
/// A register declared without fields behaves as one read-write field over its whole width; once
/// fields are declared, bits outside every field are reserved (read zero, writes ignored).
/// Declare with the fluent <c>With*</c> methods; the <see cref="RegisterBank"/> dispatches guest accesses.
/// </summary>
public sealed class Register
{
    private readonly List<RegisterField> _fields = new();

    // Guest accesses run on masks and short lists worked out as fields are declared (a status register is
    // polled millions of times a second): no walk over every field, no per-field switch.
    private RegisterField[] _providedFields = [];
    private RegisterField[] _readEffectFields = [];
    private RegisterField[] _writeCallbackFields = [];
    private uint _plainReadMask;
    private uint _overwriteMask;
    private uint _oneToClearMask;
    private uint _oneToSetMask;
    private uint _zeroToClearMask;
    private uint _value;
    private Func<uint, uint>? _valueProvider;
    private Action<uint, uint>? _writeCallback;
    private Action<uint>? _readCallback;
    private Func<bool>? _writeGate;
    private Action<uint, uint>? _accessCallback;

    internal Register(string name, uint offset, int widthBits, uint resetValue)
    {
        if (widthBits is not (8 or 16 or 32))
        {
            throw new ArgumentOutOfRangeException(nameof(widthBits), widthBits, "A register is 8, 16 or 32 bits wide.");
        }

        Name = name;
        Offset = offset;
        WidthBits = widthBits;
        WidthMask = widthBits == 32 ? 0xFFFF_FFFFu : (1u << widthBits) - 1;
        ResetValue = resetValue & WidthMask;
        _value = ResetValue;
    }

    /// <summary>Register name as the reference manual spells it.</summary>
    public string Name { get; }

    /// <summary>Offset from the peripheral's base address.</summary>
    public uint Offset { get; }

    /// <summary>Width in bits: 8, 16 or 32.</summary>
    public int WidthBits { get; }

    /// <summary>Width in bytes.</summary>
    public int SizeBytes => WidthBits / 8;

    /// <summary>Mask of the register's width.</summary>
    public uint WidthMask { get; }

    /// <summary>The value the register takes on reset.</summary>
    public uint ResetValue { get; }

    /// <summary>The declared fields, in declaration order.</summary>
    public IReadOnlyList<RegisterField> Fields => _fields;

    /// <summary>The stored value, read and written without side effects (host access, snapshots).</summary>
    public uint Value
    {
        get => _value;
        set => _value = value & WidthMask;
    }

    /// <summary>Declares a field and returns it (for peripherals that keep a reference to update status bits).</summary>
    /// <param name="name">Field name.</param>
    /// <param name="position">Bit position of the least significant bit.</param>
    /// <param name="width">Width in bits.</param>
    /// <param name="access">Access rule.</param>
    /// <param name="valueProvider">Optional: computes the value a guest read returns from the stored field value.</param>
    /// <param name="writeCallback">Optional: runs after a guest write that touched the field, with old and new field values.</param>
    /// <param name="readCallback">Optional: runs after a guest read that touched the field, with the value read.</param>
    /// <returns>The new field.</returns>
    public RegisterField DefineField(string name, int position, int width, FieldAccess access = FieldAccess.ReadWrite,
        Func<uint, uint>? valueProvider = null, Action<uint, uint>? writeCallback = null, Action<uint>? readCallback = null)
    {
        if (width < 1 || position < 0 || position + width > WidthBits)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Field {name} [{position}+{width}] does not fit register {Name} ({WidthBits} bits).");
        }

        var field = new RegisterField(this, name, position, width, access)
        {
            ValueProvider = valueProvider,
            WriteCallback = writeCallback,
            ReadCallback = readCallback,
        };
        foreach (var other in _fields)
        {
            if ((other.Mask & field.Mask) != 0)
            {
                throw new ArgumentException($"Field {name} overlaps {other} in register {Name}.");
            }
        }

        _fields.Add(field);
        if (valueProvider is not null)
        {
            _providedFields = [.. _providedFields, field];
        }
        else if (access != FieldAccess.WriteOnly)
        {
            _plainReadMask |= field.Mask;
        }

        if (access == FieldAccess.ReadToClear || readCallback is not null)
        {
            _readEffectFields = [.. _readEffectFields, field];
        }

        if (writeCallback is not null)
        {
            _writeCallbackFields = [.. _writeCallbackFields, field];
        }

        switch (access)
        {
            case FieldAccess.ReadWrite or FieldAccess.WriteOnly: _overwriteMask |= field.Mask; break;
            case FieldAccess.WriteOneToClear: _oneToClearMask |= field.Mask; break;
            case FieldAccess.WriteOneToSet: _oneToSetMask |= field.Mask; break;
            case FieldAccess.WriteZeroToClear: _zeroToClearMask |= field.Mask; break;
        }

        return field;
    }

    /// <summary>Declares a field (fluent form of <see cref="DefineField"/>).</summary>
    /// <param name="name">Field name.</param>
    /// <param name="position">Bit position of the least significant bit.</param>
    /// <param name="width">Width in bits.</param>
    /// <param name="access">Access rule.</param>
    /// <param name="valueProvider">Optional: computes the value a guest read returns from the stored field value.</param>
    /// <param name="writeCallback">Optional: runs after a guest write that touched the field, with old and new field values.</param>
    /// <param name="readCallback">Optional: runs after a guest read that touched the field, with the value read.</param>
    /// <returns>This register.</returns>
    public Register WithField(string name, int position, int width, FieldAccess access = FieldAccess.ReadWrite,
        Func<uint, uint>? valueProvider = null, Action<uint, uint>? writeCallback = null, Action<uint>? readCallback = null)
    {
        DefineField(name, position, width, access, valueProvider, writeCallback, readCallback);
        return this;
    }

    /// <summary>Declares a one-bit field.</summary>
    /// <param name="name">Field name.</param>
    /// <param name="position">Bit position.</param>
    /// <param name="access">Access rule.</param>
    /// <param name="valueProvider">Optional: computes the value a guest read returns from the stored bit.</param>
    /// <param name="writeCallback">Optional: runs after a guest write that touched the bit, with old and new values.</param>
    /// <returns>This register.</returns>
    public Register WithFlag(string name, int position, FieldAccess access = FieldAccess.ReadWrite,
        Func<uint, uint>? valueProvider = null, Action<uint, uint>? writeCallback = null)
        => WithField(name, position, 1, access, valueProvider, writeCallback);

    /// <summary>Computes the whole register's guest-visible value from its stored value (applied after the fields' providers).</summary>
    /// <param name="provider">Maps the composed field value to what the guest reads.</param>
    /// <returns>This register.</returns>
    public Register WithValueProvider(Func<uint, uint> provider)
    {
        _valueProvider = provider;
        return this;
    }

    /// <summary>Runs after every guest write, with the register's old and new stored values.</summary>
    /// <param name="callback">The callback.</param>
    /// <returns>This register.</returns>
    public Register WithWriteCallback(Action<uint, uint> callback)
    {
        _writeCallback += callback;
        return this;
    }

    /// <summary>
    /// Runs after every guest write with the written value (aligned to the register's bit 0) and the
    /// mask of the bits the access covered: for registers whose meaning depends on the access width
    /// (a data port that takes bytes, halfwords or words).
    /// </summary>
    /// <param name="callback">Receives (value, accessMask).</param>
    /// <returns>This register.</returns>
    public Register WithAccessCallback(Action<uint, uint> callback)
    {
        _accessCallback += callback;
        return this;
    }

    /// <summary>
    /// Makes guest writes conditional (lock registers): while <paramref name="writable"/> returns false a
    /// write changes nothing and runs no callbacks.
    /// </summary>
    /// <param name="writable">Whether a write is accepted now.</param>
    /// <returns>This register.</returns>
    public Register WithWriteGate(Func<bool> writable)
    {
        _writeGate = writable;
        return this;
    }

    /// <summary>Runs after every guest read, with the value the guest saw.</summary>
    /// <param name="callback">The callback.</param>
    /// <returns>This register.</returns>
    public Register WithReadCallback(Action<uint> callback)
    {
        _readCallback += callback;
        return this;
    }

    /// <summary>Finds a field by name.</summary>
    /// <param name="name">Field name.</param>
    /// <returns>The field.</returns>
    /// <exception cref="KeyNotFoundException">No such field.</exception>
    public RegisterField Field(string name)
        => _fields.Find(f => f.Name == name) ?? throw new KeyNotFoundException($"Register {Name} has no field {name}.");

    /// <summary>Restores the reset value.</summary>
    public void Reset() => _value = ResetValue;

    /// <summary>A guest read of the bits in <paramref name="accessMask"/>, with read side effects on the fields it touches.</summary>
    internal uint Read(uint accessMask)
    {
        uint result;
        if (_fields.Count == 0)
        {
            result = _value;
        }
        else
        {
            result = _value & _plainReadMask;
            foreach (var field in _providedFields)
            {
                uint seen = field.ValueProvider!((_value & field.Mask) >> field.Position);
                result |= (seen << field.Position) & field.Mask;
            }
        }

        if (_valueProvider is not null)
        {
            result = _valueProvider(result) & WidthMask;
        }

        foreach (var field in _readEffectFields)
        {
            if ((field.Mask & accessMask) == 0)
            {
                continue;
            }

            if (field.Access == FieldAccess.ReadToClear)
            {
                _value &= ~field.Mask;
            }

            field.ReadCallback?.Invoke((result & field.Mask) >> field.Position);
        }

        _readCallback?.Invoke(result);
        return result;
    }

    /// <summary>A guest write of the bits in <paramref name="accessMask"/>; bits outside it keep their state.</summary>
    internal void Write(uint value, uint accessMask)
    {
        if (_writeGate is not null && !_writeGate())
        {
            return;
        }

        uint old = _value;
        if (_fields.Count == 0)
        {
            _value = (old & ~accessMask) | (value & accessMask & WidthMask);
        }
        else
        {
            // Fields never overlap, so each access rule applies to its own bits in any order.
            uint overwrite = _overwriteMask & accessMask;
            uint next = (old & ~overwrite) | (value & overwrite);
            next &= ~(value & _oneToClearMask & accessMask);
            next |= value & _oneToSetMask & accessMask;
            next &= ~(_zeroToClearMask & accessMask & ~value);
            _value = next;
            foreach (var field in _writeCallbackFields)
            {
                if ((field.Mask & accessMask) != 0)
                {
                    field.WriteCallback!((old & field.Mask) >> field.Position, (_value & field.Mask) >> field.Position);
                }
            }
        }

        _writeCallback?.Invoke(old, _value);
        _accessCallback?.Invoke(value & accessMask, accessMask);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}@+0x{Offset:X3} ({WidthBits}-bit) = 0x{_value:X}";
}
