package pm.runtime.interp;

/**
 * Opcodes of the pre-decoded form: dense ints so the dispatch switch compiles to a jump table.
 * Reinterpret ops (i32.reinterpret_f32 and friends) emit nothing: every value is raw bits in a long slot.
 */
final class Op {
    private Op() {}

    static final int UNREACHABLE = 0;
    static final int BR = 1;
    static final int BR_LOOP = 2;
    static final int BR_FIX = 3;
    static final int BR_FIX_LOOP = 4;
    static final int BR_IF = 5;
    static final int BR_IF_LOOP = 6;
    static final int BR_IF_FIX = 7;
    static final int BR_IF_FIX_LOOP = 8;
    static final int BR_TABLE = 9;
    static final int IF_FALSE = 10;
    static final int RETURN = 11;
    static final int CALL = 12;
    static final int CALL_INDIRECT = 13;
    static final int DROP = 14;
    static final int SELECT = 15;
    static final int LOCAL_GET = 16;
    static final int LOCAL_SET = 17;
    static final int LOCAL_TEE = 18;
    static final int GLOBAL_GET = 19;
    static final int GLOBAL_SET = 20;
    static final int TABLE_GET = 21;
    static final int TABLE_SET = 22;
    static final int I32_LOAD = 23;
    static final int I64_LOAD = 24;
    static final int F32_LOAD = 25;
    static final int F64_LOAD = 26;
    static final int I32_LOAD8_S = 27;
    static final int I32_LOAD8_U = 28;
    static final int I32_LOAD16_S = 29;
    static final int I32_LOAD16_U = 30;
    static final int I64_LOAD8_S = 31;
    static final int I64_LOAD8_U = 32;
    static final int I64_LOAD16_S = 33;
    static final int I64_LOAD16_U = 34;
    static final int I64_LOAD32_S = 35;
    static final int I64_LOAD32_U = 36;
    static final int I32_STORE = 37;
    static final int I64_STORE = 38;
    static final int F32_STORE = 39;
    static final int F64_STORE = 40;
    static final int I32_STORE8 = 41;
    static final int I32_STORE16 = 42;
    static final int I64_STORE8 = 43;
    static final int I64_STORE16 = 44;
    static final int I64_STORE32 = 45;
    static final int MEMORY_SIZE = 46;
    static final int MEMORY_GROW = 47;
    static final int MEMORY_OOB = 48;
    static final int I32_CONST = 49;
    static final int I64_CONST = 50;
    static final int F32_CONST = 51;
    static final int F64_CONST = 52;
    static final int I32_EQZ = 53;
    static final int I32_EQ = 54;
    static final int I32_NE = 55;
    static final int I32_LT_S = 56;
    static final int I32_LT_U = 57;
    static final int I32_GT_S = 58;
    static final int I32_GT_U = 59;
    static final int I32_LE_S = 60;
    static final int I32_LE_U = 61;
    static final int I32_GE_S = 62;
    static final int I32_GE_U = 63;
    static final int I64_EQZ = 64;
    static final int I64_EQ = 65;
    static final int I64_NE = 66;
    static final int I64_LT_S = 67;
    static final int I64_LT_U = 68;
    static final int I64_GT_S = 69;
    static final int I64_GT_U = 70;
    static final int I64_LE_S = 71;
    static final int I64_LE_U = 72;
    static final int I64_GE_S = 73;
    static final int I64_GE_U = 74;
    static final int F32_EQ = 75;
    static final int F32_NE = 76;
    static final int F32_LT = 77;
    static final int F32_GT = 78;
    static final int F32_LE = 79;
    static final int F32_GE = 80;
    static final int F64_EQ = 81;
    static final int F64_NE = 82;
    static final int F64_LT = 83;
    static final int F64_GT = 84;
    static final int F64_LE = 85;
    static final int F64_GE = 86;
    static final int I32_CLZ = 87;
    static final int I32_CTZ = 88;
    static final int I32_POPCNT = 89;
    static final int I32_ADD = 90;
    static final int I32_SUB = 91;
    static final int I32_MUL = 92;
    static final int I32_DIV_S = 93;
    static final int I32_DIV_U = 94;
    static final int I32_REM_S = 95;
    static final int I32_REM_U = 96;
    static final int I32_AND = 97;
    static final int I32_OR = 98;
    static final int I32_XOR = 99;
    static final int I32_SHL = 100;
    static final int I32_SHR_S = 101;
    static final int I32_SHR_U = 102;
    static final int I32_ROTL = 103;
    static final int I32_ROTR = 104;
    static final int I64_CLZ = 105;
    static final int I64_CTZ = 106;
    static final int I64_POPCNT = 107;
    static final int I64_ADD = 108;
    static final int I64_SUB = 109;
    static final int I64_MUL = 110;
    static final int I64_DIV_S = 111;
    static final int I64_DIV_U = 112;
    static final int I64_REM_S = 113;
    static final int I64_REM_U = 114;
    static final int I64_AND = 115;
    static final int I64_OR = 116;
    static final int I64_XOR = 117;
    static final int I64_SHL = 118;
    static final int I64_SHR_S = 119;
    static final int I64_SHR_U = 120;
    static final int I64_ROTL = 121;
    static final int I64_ROTR = 122;
    static final int F32_ABS = 123;
    static final int F32_NEG = 124;
    static final int F32_CEIL = 125;
    static final int F32_FLOOR = 126;
    static final int F32_TRUNC = 127;
    static final int F32_NEAREST = 128;
    static final int F32_SQRT = 129;
    static final int F32_ADD = 130;
    static final int F32_SUB = 131;
    static final int F32_MUL = 132;
    static final int F32_DIV = 133;
    static final int F32_MIN = 134;
    static final int F32_MAX = 135;
    static final int F32_COPYSIGN = 136;
    static final int F64_ABS = 137;
    static final int F64_NEG = 138;
    static final int F64_CEIL = 139;
    static final int F64_FLOOR = 140;
    static final int F64_TRUNC = 141;
    static final int F64_NEAREST = 142;
    static final int F64_SQRT = 143;
    static final int F64_ADD = 144;
    static final int F64_SUB = 145;
    static final int F64_MUL = 146;
    static final int F64_DIV = 147;
    static final int F64_MIN = 148;
    static final int F64_MAX = 149;
    static final int F64_COPYSIGN = 150;
    static final int I32_WRAP_I64 = 151;
    static final int I32_TRUNC_F32_S = 152;
    static final int I32_TRUNC_F32_U = 153;
    static final int I32_TRUNC_F64_S = 154;
    static final int I32_TRUNC_F64_U = 155;
    static final int I64_EXTEND_I32_S = 156;
    static final int I64_EXTEND_I32_U = 157;
    static final int I64_TRUNC_F32_S = 158;
    static final int I64_TRUNC_F32_U = 159;
    static final int I64_TRUNC_F64_S = 160;
    static final int I64_TRUNC_F64_U = 161;
    static final int F32_CONVERT_I32_S = 162;
    static final int F32_CONVERT_I32_U = 163;
    static final int F32_CONVERT_I64_S = 164;
    static final int F32_CONVERT_I64_U = 165;
    static final int F32_DEMOTE_F64 = 166;
    static final int F64_CONVERT_I32_S = 167;
    static final int F64_CONVERT_I32_U = 168;
    static final int F64_CONVERT_I64_S = 169;
    static final int F64_CONVERT_I64_U = 170;
    static final int F64_PROMOTE_F32 = 171;
    static final int I32_EXTEND_8_S = 172;
    static final int I32_EXTEND_16_S = 173;
    static final int I64_EXTEND_8_S = 174;
    static final int I64_EXTEND_16_S = 175;
    static final int I64_EXTEND_32_S = 176;
    static final int REF_NULL = 177;
    static final int REF_IS_NULL = 178;
    static final int REF_FUNC = 179;
    static final int I32_TRUNC_SAT_F32_S = 180;
    static final int I32_TRUNC_SAT_F32_U = 181;
    static final int I32_TRUNC_SAT_F64_S = 182;
    static final int I32_TRUNC_SAT_F64_U = 183;
    static final int I64_TRUNC_SAT_F32_S = 184;
    static final int I64_TRUNC_SAT_F32_U = 185;
    static final int I64_TRUNC_SAT_F64_S = 186;
    static final int I64_TRUNC_SAT_F64_U = 187;
    static final int MEMORY_INIT = 188;
    static final int DATA_DROP = 189;
    static final int MEMORY_COPY = 190;
    static final int MEMORY_FILL = 191;
    static final int TABLE_INIT = 192;
    static final int ELEM_DROP = 193;
    static final int TABLE_COPY = 194;
    static final int TABLE_GROW = 195;
    static final int TABLE_SIZE = 196;
    static final int TABLE_FILL = 197;
    static final int JUMP = 198;

    // Super-instructions: two adjacent instructions of one basic block, fused by the compiler.
    static final int LOCAL_GET2 = 199;
    static final int LOCAL_GET_CONST = 200;
    static final int LOCAL_ADD_C = 201;
    static final int I32_ADD_C = 202;
    static final int I32_AND_C = 203;
    static final int I32_SHL_C = 204;
    static final int I32_SHR_U_C = 205;
    static final int I32_LOAD_L = 206;
    static final int LOCAL_SET_GET = 207;
    static final int LOCAL_TEE_GET = 208;
    static final int I32_ADD_SET = 209;
    static final int BR_UNLESS = 210;
    static final int BR_UNLESS_LOOP = 211;
    static final int BR_IF_NE = 212;
    static final int BR_IF_NE_LOOP = 213;
    static final int BR_IF_EQ = 214;
    static final int BR_IF_LT_U_LOOP = 215;
    static final int BR_IF_LT_S_LOOP = 216;
    static final int I32_ADD_TEE = 217;
    static final int I32_ADD_L = 218;
    static final int I32_SUB_L = 219;
    static final int I32_SHL_ADD = 220;
    static final int I32_LOAD8_U_ADD = 221;
    static final int I32_LOAD_ADD = 222;
    static final int I32_LOAD8_U_C = 223;
    static final int I32_LOAD_C = 224;
    static final int LOCAL_TEE_LOAD = 225;
    static final int I32_LOAD8_U_TEE = 226;
    static final int I32_ADD_C_TEE = 227;
    static final int LOCAL_GET_LOAD_L = 228;

    static final int COUNT = 229;

    private static final String[] NAMES = {
        "UNREACHABLE",
        "BR",
        "BR_LOOP",
        "BR_FIX",
        "BR_FIX_LOOP",
        "BR_IF",
        "BR_IF_LOOP",
        "BR_IF_FIX",
        "BR_IF_FIX_LOOP",
        "BR_TABLE",
        "IF_FALSE",
        "RETURN",
        "CALL",
        "CALL_INDIRECT",
        "DROP",
        "SELECT",
        "LOCAL_GET",
        "LOCAL_SET",
        "LOCAL_TEE",
        "GLOBAL_GET",
        "GLOBAL_SET",
        "TABLE_GET",
        "TABLE_SET",
        "I32_LOAD",
        "I64_LOAD",
        "F32_LOAD",
        "F64_LOAD",
        "I32_LOAD8_S",
        "I32_LOAD8_U",
        "I32_LOAD16_S",
        "I32_LOAD16_U",
        "I64_LOAD8_S",
        "I64_LOAD8_U",
        "I64_LOAD16_S",
        "I64_LOAD16_U",
        "I64_LOAD32_S",
        "I64_LOAD32_U",
        "I32_STORE",
        "I64_STORE",
        "F32_STORE",
        "F64_STORE",
        "I32_STORE8",
        "I32_STORE16",
        "I64_STORE8",
        "I64_STORE16",
        "I64_STORE32",
        "MEMORY_SIZE",
        "MEMORY_GROW",
        "MEMORY_OOB",
        "I32_CONST",
        "I64_CONST",
        "F32_CONST",
        "F64_CONST",
        "I32_EQZ",
        "I32_EQ",
        "I32_NE",
        "I32_LT_S",
        "I32_LT_U",
        "I32_GT_S",
        "I32_GT_U",
        "I32_LE_S",
        "I32_LE_U",
        "I32_GE_S",
        "I32_GE_U",
        "I64_EQZ",
        "I64_EQ",
        "I64_NE",
        "I64_LT_S",
        "I64_LT_U",
        "I64_GT_S",
        "I64_GT_U",
        "I64_LE_S",
        "I64_LE_U",
        "I64_GE_S",
        "I64_GE_U",
        "F32_EQ",
        "F32_NE",
        "F32_LT",
        "F32_GT",
        "F32_LE",
        "F32_GE",
        "F64_EQ",
        "F64_NE",
        "F64_LT",
        "F64_GT",
        "F64_LE",
        "F64_GE",
        "I32_CLZ",
        "I32_CTZ",
        "I32_POPCNT",
        "I32_ADD",
        "I32_SUB",
        "I32_MUL",
        "I32_DIV_S",
        "I32_DIV_U",
        "I32_REM_S",
        "I32_REM_U",
        "I32_AND",
        "I32_OR",
        "I32_XOR",
        "I32_SHL",
        "I32_SHR_S",
        "I32_SHR_U",
        "I32_ROTL",
        "I32_ROTR",
        "I64_CLZ",
        "I64_CTZ",
        "I64_POPCNT",
        "I64_ADD",
        "I64_SUB",
        "I64_MUL",
        "I64_DIV_S",
        "I64_DIV_U",
        "I64_REM_S",
        "I64_REM_U",
        "I64_AND",
        "I64_OR",
        "I64_XOR",
        "I64_SHL",
        "I64_SHR_S",
        "I64_SHR_U",
        "I64_ROTL",
        "I64_ROTR",
        "F32_ABS",
        "F32_NEG",
        "F32_CEIL",
        "F32_FLOOR",
        "F32_TRUNC",
        "F32_NEAREST",
        "F32_SQRT",
        "F32_ADD",
        "F32_SUB",
        "F32_MUL",
        "F32_DIV",
        "F32_MIN",
        "F32_MAX",
        "F32_COPYSIGN",
        "F64_ABS",
        "F64_NEG",
        "F64_CEIL",
        "F64_FLOOR",
        "F64_TRUNC",
        "F64_NEAREST",
        "F64_SQRT",
        "F64_ADD",
        "F64_SUB",
        "F64_MUL",
        "F64_DIV",
        "F64_MIN",
        "F64_MAX",
        "F64_COPYSIGN",
        "I32_WRAP_I64",
        "I32_TRUNC_F32_S",
        "I32_TRUNC_F32_U",
        "I32_TRUNC_F64_S",
        "I32_TRUNC_F64_U",
        "I64_EXTEND_I32_S",
        "I64_EXTEND_I32_U",
        "I64_TRUNC_F32_S",
        "I64_TRUNC_F32_U",
        "I64_TRUNC_F64_S",
        "I64_TRUNC_F64_U",
        "F32_CONVERT_I32_S",
        "F32_CONVERT_I32_U",
        "F32_CONVERT_I64_S",
        "F32_CONVERT_I64_U",
        "F32_DEMOTE_F64",
        "F64_CONVERT_I32_S",
        "F64_CONVERT_I32_U",
        "F64_CONVERT_I64_S",
        "F64_CONVERT_I64_U",
        "F64_PROMOTE_F32",
        "I32_EXTEND_8_S",
        "I32_EXTEND_16_S",
        "I64_EXTEND_8_S",
        "I64_EXTEND_16_S",
        "I64_EXTEND_32_S",
        "REF_NULL",
        "REF_IS_NULL",
        "REF_FUNC",
        "I32_TRUNC_SAT_F32_S",
        "I32_TRUNC_SAT_F32_U",
        "I32_TRUNC_SAT_F64_S",
        "I32_TRUNC_SAT_F64_U",
        "I64_TRUNC_SAT_F32_S",
        "I64_TRUNC_SAT_F32_U",
        "I64_TRUNC_SAT_F64_S",
        "I64_TRUNC_SAT_F64_U",
        "MEMORY_INIT",
        "DATA_DROP",
        "MEMORY_COPY",
        "MEMORY_FILL",
        "TABLE_INIT",
        "ELEM_DROP",
        "TABLE_COPY",
        "TABLE_GROW",
        "TABLE_SIZE",
        "TABLE_FILL",
        "JUMP",
        "LOCAL_GET2",
        "LOCAL_GET_CONST",
        "LOCAL_ADD_C",
        "I32_ADD_C",
        "I32_AND_C",
        "I32_SHL_C",
        "I32_SHR_U_C",
        "I32_LOAD_L",
        "LOCAL_SET_GET",
        "LOCAL_TEE_GET",
        "I32_ADD_SET",
        "BR_UNLESS",
        "BR_UNLESS_LOOP",
        "BR_IF_NE",
        "BR_IF_NE_LOOP",
        "BR_IF_EQ",
        "BR_IF_LT_U_LOOP",
        "BR_IF_LT_S_LOOP",
        "I32_ADD_TEE",
        "I32_ADD_L",
        "I32_SUB_L",
        "I32_SHL_ADD",
        "I32_LOAD8_U_ADD",
        "I32_LOAD_ADD",
        "I32_LOAD8_U_C",
        "I32_LOAD_C",
        "LOCAL_TEE_LOAD",
        "I32_LOAD8_U_TEE",
        "I32_ADD_C_TEE",
        "LOCAL_GET_LOAD_L"
    };

    static String name(int op) {
        return op >= 0 && op < COUNT ? NAMES[op] : "op#" + op;
    }
}
