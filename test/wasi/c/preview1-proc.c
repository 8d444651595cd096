/*
 * args_*, environ_*, sched_yield, proc_raise, proc_exit.
 *
 *   preview1-proc "" "two words" "é" <exit code>
 *       with the environment exactly A=1, EMPTY=, UTF=é, X=a=b; ends with proc_exit(<exit code>)
 */
#include "preview1-check.h"

RAW_IMPORT(proc_raise) int32_t raw_proc_raise(int32_t signal);
RAW_IMPORT(sched_yield) int32_t raw_sched_yield(void);

static const char *const want_args[] = {"preview1-proc", "", "two words", "\xc3\xa9"};
static const char *const want_env[] = {"A=1", "EMPTY=", "UTF=\xc3\xa9", "X=a=b"};

/* Does `list` (count entries) hold exactly `want` (4 entries), in any order? */
static int same_set(char **list, size_t count, const char *const *want) {
    if (count != 4) return 0;
    for (int i = 0; i < 4; i++) {
        int found = 0;
        for (size_t j = 0; j < count; j++) found |= strcmp(list[j], want[i]) == 0;
        if (!found) return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    start_checks();
    if (argc != 5) {
        printf("FAIL usage: preview1-proc \"\" \"two words\" \"\xc3\xa9\" <exit code>\n");
        return 1;
    }

    size_t count = 0, size = 0;
    int err = __wasi_args_sizes_get(&count, &size);
    size_t want_size = 0;
    for (int i = 0; i < 4; i++) want_size += strlen(want_args[i]) + 1;
    want_size += strlen(argv[4]) + 1;
    check(err == 0 && count == 5 && size == want_size, "args_sizes_get: argc, and every argument's bytes with its NUL",
          "errno %d argc %zu size %zu, want 5 and %zu", err, count, size, want_size);
    char *args[8];
    char buffer[256];
    memset(buffer, '#', sizeof buffer);
    err = count <= 8 && size <= sizeof buffer ? __wasi_args_get((uint8_t **)args, (uint8_t *)buffer) : -1;
    int args_right = err == 0 && args[0] == buffer;
    for (int i = 0; args_right && i < 4; i++) args_right = strcmp(args[i], want_args[i]) == 0;
    check(args_right && buffer[size - 1] == 0 && buffer[size] == '#',
          "args_get: each argument NUL-terminated in the buffer, nothing past it", "errno %d", err);
    int main_args_right = 1;
    for (int i = 0; i < 4; i++) main_args_right &= strcmp(argv[i], want_args[i]) == 0;
    check(main_args_right, "argv in main is the arguments given", "argv[1] \"%s\" argv[2] \"%s\"", argv[1], argv[2]);
    check_errno("args_sizes_get into 2^31+: EFAULT", raw_args_sizes_get(FAR_POINTER, PTR(&size)), __WASI_ERRNO_FAULT);

    err = __wasi_environ_sizes_get(&count, &size);
    want_size = 0;
    for (int i = 0; i < 4; i++) want_size += strlen(want_env[i]) + 1;
    check(err == 0 && count == 4 && size == want_size, "environ_sizes_get: the given variables only",
          "errno %d count %zu size %zu, want 4 and %zu", err, count, size, want_size);
    char *env[8];
    err = count <= 8 && size <= sizeof buffer ? __wasi_environ_get((uint8_t **)env, (uint8_t *)buffer) : -1;
    check(err == 0 && same_set(env, count, want_env), "environ_get: NAME=value of each, exactly those", "errno %d",
          err);
    const char *x = getenv("X"), *empty = getenv("EMPTY");
    check(x && strcmp(x, "a=b") == 0 && empty && *empty == 0, "getenv of a value with = and of an empty one",
          "X=%s EMPTY=%s", x ? x : "(null)", empty ? empty : "(null)");

    check_errno("sched_yield", raw_sched_yield(), 0);
    /* The witx leaves signals to the host; wasmux delivers none. */
    check_errno("proc_raise: ENOSYS", raw_proc_raise(15 /* the witx signal term */), __WASI_ERRNO_NOSYS);

    fflush(stdout);
    __wasi_proc_exit((__wasi_exitcode_t)strtoul(argv[4], NULL, 10));
    printf("FAIL proc_exit returned\n");
    return 1;
}
