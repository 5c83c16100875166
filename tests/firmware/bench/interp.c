/*
 * A small stack-machine bytecode interpreter (switch dispatch) running a program that sums
 * the Collatz stopping times of 1..n: a branchy, load-heavy loop typical of scripting VMs.
 */
#include "bench.h"

enum opcode
{
    OP_PUSH,  /* push the next word */
    OP_LOAD,  /* push local[next] */
    OP_STORE, /* local[next] = pop */
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_SHR1,
    OP_AND1,
    OP_DUP,
    OP_JZ,   /* pop; jump to next if zero */
    OP_JNZ,  /* pop; jump to next if not zero */
    OP_JMP,
    OP_LT,   /* push (a < b) */
    OP_HALT,
};

/* locals: 0 = n (limit), 1 = i, 2 = x, 3 = steps, 4 = total. The comments give each
 * instruction's index, which the jumps use. */
static const int32_t program[] = {
    /*  0 */ OP_PUSH, 1, OP_STORE, 1,        /* i = 1 */
    /*  4 */ OP_PUSH, 0, OP_STORE, 4,        /* total = 0 */
    /*  8 */ OP_LOAD, 1, OP_LOAD, 0, OP_LT,  /* outer: while (i < n) */
    /* 13 */ OP_JZ, 75,
    /* 15 */ OP_LOAD, 1, OP_STORE, 2,        /* x = i */
    /* 19 */ OP_PUSH, 0, OP_STORE, 3,        /* steps = 0 */
    /* 23 */ OP_PUSH, 1, OP_LOAD, 2, OP_LT,  /* inner: while (1 < x) */
    /* 28 */ OP_JZ, 59,
    /* 30 */ OP_LOAD, 2, OP_AND1, OP_JZ, 45, /* if (x & 1) */
    /* 35 */ OP_LOAD, 2, OP_PUSH, 3, OP_MUL, OP_PUSH, 1, OP_ADD, /* 3x + 1 */
    /* 43 */ OP_JMP, 48,
    /* 45 */ OP_LOAD, 2, OP_SHR1,            /* else x / 2 */
    /* 48 */ OP_STORE, 2,
    /* 50 */ OP_LOAD, 3, OP_PUSH, 1, OP_ADD, OP_STORE, 3, /* steps++ */
    /* 57 */ OP_JMP, 23,
    /* 59 */ OP_LOAD, 4, OP_LOAD, 3, OP_ADD, OP_STORE, 4, /* total += steps */
    /* 66 */ OP_LOAD, 1, OP_PUSH, 1, OP_ADD, OP_STORE, 1, /* i++ */
    /* 73 */ OP_JMP, 8,
    /* 75 */ OP_HALT,
};

static int32_t run(const int32_t *code, int32_t limit)
{
    int32_t stack[16];
    int32_t locals[8] = {limit};
    int sp = 0;
    int pc = 0;
    for (;;)
    {
        const int32_t op = code[pc++];
        switch (op)
        {
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_LOAD: stack[sp++] = locals[code[pc++]]; break;
        case OP_STORE: locals[code[pc++]] = stack[--sp]; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_SHR1: stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] >> 1); break;
        case OP_AND1: stack[sp - 1] &= 1; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_JZ: { const int32_t target = code[pc++]; if (stack[--sp] == 0) pc = target; break; }
        case OP_JNZ: { const int32_t target = code[pc++]; if (stack[--sp] != 0) pc = target; break; }
        case OP_JMP: pc = code[pc]; break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        default: return locals[4] ^ locals[3] ^ (locals[1] << 16);
        }
    }
}

int main(void)
{
    const uint32_t rounds = BENCH_ROUNDS(5, 1);
    const int32_t limit = BENCH_QUICK ? 60 : 3000;
    uint32_t checksum = 0;
    for (uint32_t round = 0; round < rounds; round++)
    {
        checksum = checksum * 0x01000193u ^ (uint32_t)run(program, limit + (int32_t)round);
    }
    bench_report("interp", rounds, checksum);
    return 0;
}
