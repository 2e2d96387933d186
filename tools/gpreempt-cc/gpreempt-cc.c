/*
 * gpreempt-cc - compile and link a CUDA program into its preemptible form.
 *
 *     gpreempt-cc [clang++ flags] files...
 *
 * A thin wrapper around clang++ (LLVM 22). It adds what a preemptible build
 * needs and passes everything else to clang++ unchanged and in order:
 *   - -fpass-plugin=GPreemptPass.so, so the gpreempt pass runs on the device
 *     and the host code of every translation unit;
 *   - -I for <gpreempt.h>;
 *   - for CUDA inputs: --cuda-path, -Wno-unknown-cuda-version (clang 22 knows
 *     CUDA up to 12.9 and warns about 13) and --cuda-gpu-arch=sm_90 unless the
 *     user chose an architecture;
 *   - when linking: libgpreempt.a and the static CUDA runtime.
 *
 * Plugin, runtime and headers are found relative to this executable
 * (bin/../lib, bin/../include), so the build tree and an installed tree work
 * alike. clang++ is started with execv, never through a shell, so arguments
 * are never re-split or re-quoted, and its exit status is ours.
 *
 * Our own flags all start with --gp- (plus --help and --version); an unknown
 * --gp- flag is an error rather than something clang++ would reject with a
 * confusing message. Errors of our own exit with status 2.
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef GPREEMPT_VERSION
#define GPREEMPT_VERSION "0.1.0"
#endif
#ifndef GPREEMPT_CONFIGURED_CLANG
#define GPREEMPT_CONFIGURED_CLANG ""
#endif
#ifndef GPREEMPT_CONFIGURED_CUDA
#define GPREEMPT_CONFIGURED_CUDA "/usr/local/cuda"
#endif
#ifndef GPREEMPT_CONFIGURED_INCLUDE
#define GPREEMPT_CONFIGURED_INCLUDE ""
#endif
#ifndef GPREEMPT_DEFAULT_CUDA_ARCH
#define GPREEMPT_DEFAULT_CUDA_ARCH "sm_90"
#endif

#define PLUGIN_NAME "GPreemptPass.so"
#define RUNTIME_NAME "libgpreempt.a"
#define CLANG_FALLBACK_NAME "clang++-22"
#define REQUIRED_CLANG_VERSION "version 22."

/* Exit status for every error detected by gpreempt-cc itself, as opposed to
 * clang++'s own status, which is passed through. */
enum { EXIT_USAGE = 2 };

extern char **environ;

/* ------------------------------------------------------------------------ */
/* Small utilities                                                          */

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("gpreempt-cc: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(EXIT_USAGE);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    fail("out of memory");
  return p;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

static char *format_string(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format_string(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    fail("cannot format a string");
  char *s = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_regular_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_directory(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_executable_file(const char *path) {
  return is_regular_file(path) && access(path, X_OK) == 0;
}

static const char *env_or_null(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* A growable NULL-terminated argument vector, as execv wants it. */
struct arg_list {
  char **items;
  size_t count, capacity;
};

static void arg_push(struct arg_list *list, const char *arg) {
  if (list->count + 2 > list->capacity) {
    size_t capacity = list->capacity ? list->capacity * 2 : 32;
    char **items = realloc(list->items, capacity * sizeof *items);
    if (!items)
      fail("out of memory");
    list->items = items;
    list->capacity = capacity;
  }
  list->items[list->count++] = (char *)arg;
  list->items[list->count] = NULL;
}

/* ------------------------------------------------------------------------ */
/* Where things are                                                         */

/* The directory above the one holding the running executable: the build
 * tree's or the installation's root, with bin/, lib/ and maybe include/.
 * /proc/self/exe rather than argv[0]: argv[0] may be a bare name found in
 * PATH or a symlink elsewhere, and the plugin and runtime live next to the
 * real file. */
static char *install_root(void) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  for (int level = 0; level < 2; level++) {
    char *slash = strrchr(buf, '/');
    if (!slash)
      return NULL;
    *slash = '\0';
  }
  return xstrdup(buf);
}

/* First executable called `name` in PATH, or NULL. */
static char *search_path(const char *name) {
  const char *path = getenv("PATH");
  if (!path)
    return NULL;
  char *copy = xstrdup(path);
  char *result = NULL;
  for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir;
       dir = strtok_r(NULL, ":", &save)) {
    char *candidate = format_string("%s/%s", *dir ? dir : ".", name);
    if (is_executable_file(candidate)) {
      result = candidate;
      break;
    }
    free(candidate);
  }
  free(copy);
  return result;
}

struct toolchain {
  char *clang;        /* clang++ to run */
  const char *clang_origin; /* where that choice came from, for messages */
  char *plugin;       /* GPreemptPass.so */
  char *runtime;      /* libgpreempt.a */
  char *include_dir;  /* holds gpreempt.h */
  const char *cuda;   /* CUDA toolkit root */
};

/* GPREEMPT_CLANG (a path, or a name looked up in PATH), else the clang++
 * configured at build time if it is still there, else clang++-22 in PATH.
 * Never NULL: when nothing is found, the configured path is returned so that
 * the error message names what was expected. */
static void find_clang(struct toolchain *tc) {
  const char *env = env_or_null("GPREEMPT_CLANG");
  if (env) {
    tc->clang_origin = "GPREEMPT_CLANG";
    char *found = strchr(env, '/') ? NULL : search_path(env);
    tc->clang = found ? found : xstrdup(env);
    return;
  }
  const char *configured = GPREEMPT_CONFIGURED_CLANG;
  if (*configured && is_executable_file(configured)) {
    tc->clang = xstrdup(configured);
    tc->clang_origin = "the build configuration";
    return;
  }
  char *found = search_path(CLANG_FALLBACK_NAME);
  if (found) {
    tc->clang = found;
    tc->clang_origin = "PATH";
    return;
  }
  tc->clang = xstrdup(*configured ? configured : CLANG_FALLBACK_NAME);
  tc->clang_origin = "the build configuration";
}

static void find_toolchain(struct toolchain *tc) {
  char *root = install_root();
  find_clang(tc);

  const char *plugin = env_or_null("GPREEMPT_PLUGIN");
  if (plugin)
    tc->plugin = xstrdup(plugin);
  else if (root)
    tc->plugin = format_string("%s/lib/%s", root, PLUGIN_NAME);
  else
    tc->plugin = xstrdup(PLUGIN_NAME);

  tc->runtime = root ? format_string("%s/lib/%s", root, RUNTIME_NAME)
                        : xstrdup(RUNTIME_NAME);

  /* Prefer the headers next to the executable (an installed tree); the build
   * tree has none there and uses the source tree's. */
  char *header = root ? format_string("%s/include/gpreempt.h", root) : NULL;
  if (header && is_regular_file(header))
    tc->include_dir = format_string("%s/include", root);
  else
    tc->include_dir = xstrdup(GPREEMPT_CONFIGURED_INCLUDE);
  free(header);
  free(root);

  const char *cuda = env_or_null("CUDA_PATH");
  tc->cuda = cuda ? cuda : GPREEMPT_CONFIGURED_CUDA;
}

/* ------------------------------------------------------------------------ */
/* Running clang++ --version                                                */

/* First line of `clang --version`, or NULL if it cannot be run. The pass
 * plugin is built against LLVM 22's C++ API, which has no stable ABI: any
 * other clang fails to load it, or worse, loads it and crashes. */
static char *clang_version_line(const char *clang) {
  int fds[2];
  if (pipe(fds) != 0)
    return NULL;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  char *argv[] = {(char *)clang, "--version", NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, clang, &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return NULL;
  }

  char buf[4096];
  size_t used = 0;
  for (;;) {
    ssize_t n = read(fds[0], buf + used, sizeof buf - 1 - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    used += (size_t)n;
    if (used == sizeof buf - 1) {
      /* Enough for the first line; drain the rest so the child can exit. */
      char sink[512];
      while (read(fds[0], sink, sizeof sink) > 0) {
      }
      break;
    }
  }
  close(fds[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  buf[used] = '\0';
  if (used == 0)
    return NULL;
  buf[strcspn(buf, "\n")] = '\0';
  return xstrdup(buf);
}

/* ------------------------------------------------------------------------ */
/* Command-line analysis                                                    */

struct options {
  bool help, version, verbose, no_preempt, dry_run;
};

/* What the user's clang++ arguments ask for. */
struct request {
  bool links;             /* no -c/-S/-E/-fsyntax-only/-M/-MM/... */
  bool has_input;         /* any input file */
  bool has_source;        /* an input that is compiled, not just linked */
  bool has_cuda;          /* a .cu input, or any input under -x cuda */
  bool chose_arch;        /* --cuda-gpu-arch= / --offload-arch= */
  const char *cuda_path;  /* the user's --cuda-path=, or NULL */
  bool links_cudart;      /* -lcudart, -lcudart_static, libcudart*.{a,so} */
  const char *our_plugin; /* a -fpass-plugin= that names GPreemptPass.so */
};

/* clang options whose value is the next argument. Needed only to tell input
 * files from option values (`-o foo.cu` has no CUDA input); a missing entry
 * can only make us see an extra input, never drop a user argument. */
static const char *const options_with_separate_value[] = {
    "-o", "-x", "-I", "-D", "-U", "-L", "-l", "-include", "-imacros",
    "-isystem", "-idirafter", "-iquote", "-isysroot", "-iprefix",
    "-iwithprefix", "-iwithprefixbefore", "-MF", "-MT", "-MQ", "-Xclang",
    "-Xlinker", "-Xassembler", "-Xpreprocessor", "-Xarch_device",
    "-Xarch_host", "-Xcuda-ptxas", "-Xcuda-fatbinary", "-Xoffload-linker",
    "-Xopenmp-target", "-mllvm", "-target", "-arch", "-u", "-T", "-z",
    "-F", "-framework", "-install_name", "-cxx-isystem", "-resource-dir",
    "-serialize-diagnostics", "-dependency-file", "-ivfsoverlay",
    NULL,
};

static bool takes_separate_value(const char *arg) {
  for (const char *const *o = options_with_separate_value; *o; o++)
    if (strcmp(arg, *o) == 0)
      return true;
  return false;
}

/* Options that stop clang before the link step. */
static bool stops_before_link(const char *arg) {
  static const char *const stops[] = {"-c", "-S", "-E", "-M", "-MM",
                                      "-fsyntax-only", "--precompile",
                                      "-emit-ast", "--cuda-device-only", NULL};
  for (const char *const *s = stops; *s; s++)
    if (strcmp(arg, *s) == 0)
      return true;
  return false;
}

static bool is_object_like(const char *path) {
  return ends_with(path, ".o") || ends_with(path, ".a") || ends_with(path, ".so") ||
         strstr(path, ".so.") != NULL || ends_with(path, ".obj") || ends_with(path, ".lo");
}

static bool names_cudart(const char *arg) {
  const char *base = strrchr(arg, '/');
  base = base ? base + 1 : arg;
  return strcmp(arg, "-lcudart") == 0 || strcmp(arg, "-lcudart_static") == 0 ||
         starts_with(base, "libcudart.so") || strcmp(base, "libcudart_static.a") == 0;
}

static bool names_our_plugin(const char *plugin_path) {
  const char *base = strrchr(plugin_path, '/');
  return strcmp(base ? base + 1 : plugin_path, PLUGIN_NAME) == 0;
}

static void note_input(struct request *req, const char *path, const char *language) {
  req->has_input = true;
  bool explicit_language = language && strcmp(language, "none") != 0;
  if (explicit_language ? true : !is_object_like(path))
    req->has_source = true;
  if (explicit_language ? strcmp(language, "cuda") == 0 : ends_with(path, ".cu"))
    req->has_cuda = true;
}

static struct request analyze(int argc, char **argv) {
  struct request req = {.links = true};
  const char *language = NULL; /* the current -x, which applies to later inputs */
  bool only_inputs = false;    /* after "--" */
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (only_inputs || arg[0] != '-' || strcmp(arg, "-") == 0) {
      note_input(&req, arg, language);
      if (names_cudart(arg))
        req.links_cudart = true;
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      only_inputs = true;
    } else if (stops_before_link(arg)) {
      req.links = false;
    } else if (strcmp(arg, "-x") == 0 && i + 1 < argc) {
      language = argv[++i];
    } else if (starts_with(arg, "-x") && arg[2] != '\0') {
      language = arg + 2;
    } else if (starts_with(arg, "--cuda-gpu-arch=") || starts_with(arg, "--offload-arch=")) {
      req.chose_arch = true;
    } else if (starts_with(arg, "--cuda-path=")) {
      req.cuda_path = arg + strlen("--cuda-path=");
    } else if (starts_with(arg, "-fpass-plugin=")) {
      const char *plugin = arg + strlen("-fpass-plugin=");
      if (names_our_plugin(plugin))
        req.our_plugin = plugin;
    } else if (names_cudart(arg)) {
      req.links_cudart = true;
    } else if (strcmp(arg, "-l") == 0 && i + 1 < argc) {
      const char *lib = argv[++i];
      if (strcmp(lib, "cudart") == 0 || strcmp(lib, "cudart_static") == 0)
        req.links_cudart = true;
    } else if (takes_separate_value(arg) && i + 1 < argc) {
      i++;
    }
  }
  /* A link with nothing to link (`gpreempt-cc -v`, `--print-resource-dir`)
   * must stay a plain clang++ call: adding libraries would turn it into a
   * link of libgpreempt.a alone. */
  if (!req.has_input)
    req.links = false;
  return req;
}

/* Sets the option `arg` names in `opts`; false if it is not one of ours. */
static bool parse_own_option(const char *arg, struct options *opts) {
  static const struct {
    const char *name;
    size_t offset;
  } own[] = {
      {"--help", offsetof(struct options, help)},
      {"--version", offsetof(struct options, version)},
      {"--gp-verbose", offsetof(struct options, verbose)},
      {"--gp-no-preempt", offsetof(struct options, no_preempt)},
      {"--gp-dry-run", offsetof(struct options, dry_run)},
  };
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
    if (strcmp(arg, own[i].name) == 0) {
      *(bool *)((char *)opts + own[i].offset) = true; /* repeating one is harmless */
      return true;
    }
  }
  if (starts_with(arg, "--gp-"))
    fail("unknown option '%s' (gpreempt-cc's own options are --gp-verbose, "
         "--gp-no-preempt, --gp-dry-run, --help and --version)",
         arg);
  return false;
}

/* Splits our options from clang++'s. Returns the number of clang++
 * arguments, moved to the front of argv in their original order. After "--"
 * everything is clang++'s (file names). */
static int take_own_options(int argc, char **argv, struct options *opts) {
  int kept = 0;
  bool after_double_dash = false;
  for (int i = 1; i < argc; i++) {
    if (!after_double_dash && parse_own_option(argv[i], opts))
      continue;
    if (strcmp(argv[i], "--") == 0)
      after_double_dash = true;
    argv[kept++] = argv[i];
  }
  return kept;
}

/* ------------------------------------------------------------------------ */
/* Output                                                                   */

static void print_help(FILE *out) {
  fputs("usage: gpreempt-cc [options] [clang++ options] files...\n"
        "\n"
        "Compile and link a CUDA program so that its kernels are preemptible\n"
        "(see gpreempt.h). Runs clang++ 22 with the gpreempt pass plugin, the\n"
        "gpreempt include directory and, for CUDA inputs, --cuda-path,\n"
        "-Wno-unknown-cuda-version and --cuda-gpu-arch=" GPREEMPT_DEFAULT_CUDA_ARCH "\n"
        "(unless --cuda-gpu-arch= or --offload-arch= is given). When it links,\n"
        "it appends libgpreempt.a, -L<cuda>/lib64 -lcudart_static -ldl -lrt\n"
        "-lpthread (-lcudart_static is left out when -lcudart or\n"
        "-lcudart_static is given). Every other argument goes to clang++\n"
        "unchanged and in order.\n"
        "\n"
        "options:\n"
        "  --gp-verbose     print the clang++ command line to stderr\n"
        "  --gp-dry-run     print the clang++ command line to stdout, run nothing\n"
        "  --gp-no-preempt  build without the pass plugin (still links the runtime)\n"
        "  --help           this text (clang++'s own: clang++-22 --help)\n"
        "  --version        gpreempt's version and the tools it uses\n"
        "\n"
        "environment:\n"
        "  GPREEMPT_CLANG            clang++ to run (default: the configured one,\n"
        "                            else clang++-22 in PATH)\n"
        "  GPREEMPT_PLUGIN           pass plugin (default: <bin>/../lib/" PLUGIN_NAME ")\n"
        "  CUDA_PATH                 CUDA toolkit (default: the configured one)\n"
        "  GPREEMPT_ALLOW_ANY_CLANG  1: skip the check that clang++ is version 22\n"
        "\n"
        "Errors of gpreempt-cc itself exit with status 2; otherwise the exit\n"
        "status is clang++'s.\n",
        out);
}

static void print_version(const struct toolchain *tc) {
  printf("gpreempt-cc (gpreempt) %s\n", GPREEMPT_VERSION);
  char *line = is_executable_file(tc->clang) ? clang_version_line(tc->clang) : NULL;
  printf("clang++: %s (%s)\n", tc->clang, line ? line : "not found");
  printf("plugin: %s%s\n", tc->plugin, is_regular_file(tc->plugin) ? "" : " (missing)");
  printf("runtime: %s%s\n", tc->runtime, is_regular_file(tc->runtime) ? "" : " (missing)");
  printf("include: %s\n", tc->include_dir);
  printf("cuda: %s\n", tc->cuda);
}

/* Characters that need no quoting in a POSIX shell. */
static bool is_shell_safe(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                "_-+=/.,:@%",
                *s))
      return false;
  return true;
}

/* Prints the command so that it can be pasted into a shell as is. */
static void print_command(FILE *out, char *const *argv) {
  for (size_t i = 0; argv[i]; i++) {
    if (i)
      fputc(' ', out);
    if (is_shell_safe(argv[i])) {
      fputs(argv[i], out);
      continue;
    }
    fputc('\'', out);
    for (const char *c = argv[i]; *c; c++) {
      if (*c == '\'')
        fputs("'\\''", out);
      else
        fputc(*c, out);
    }
    fputc('\'', out);
  }
  fputc('\n', out);
  fflush(out);
}

/* ------------------------------------------------------------------------ */
/* Checks: fail early with a message that says what to do                   */

static void check_clang(const struct toolchain *tc, bool needs_llvm22, bool dry_run) {
  if (access(tc->clang, F_OK) != 0)
    fail("clang++ not found at %s (from %s): run scripts/setup.sh or set "
         "GPREEMPT_CLANG",
         tc->clang, tc->clang_origin);
  if (!is_executable_file(tc->clang))
    fail("clang++ at %s (from %s) is not an executable file: run "
         "scripts/setup.sh or set GPREEMPT_CLANG",
         tc->clang, tc->clang_origin);
  /* A dry run runs nothing, not even clang++ --version. */
  const char *allow_any = env_or_null("GPREEMPT_ALLOW_ANY_CLANG");
  if (!needs_llvm22 || dry_run || (allow_any && strcmp(allow_any, "1") == 0))
    return;
  char *line = clang_version_line(tc->clang);
  if (!line)
    fail("cannot run %s --version: run scripts/setup.sh or set GPREEMPT_CLANG",
         tc->clang);
  if (!strstr(line, REQUIRED_CLANG_VERSION))
    fail("%s is not clang 22 (it says \"%s\"); the gpreempt pass plugin loads "
         "only into LLVM 22: set GPREEMPT_CLANG to clang++ 22 "
         "(GPREEMPT_ALLOW_ANY_CLANG=1 skips this check)",
         tc->clang, line);
  free(line);
}

static void check_cuda(const char *cuda, bool compiles_cuda, bool needs_static_cudart) {
  char *header = format_string("%s/include/cuda_runtime.h", cuda);
  if (compiles_cuda && !is_regular_file(header))
    fail("CUDA toolkit not found at %s (no include/cuda_runtime.h): install "
         "CUDA 13 there or set CUDA_PATH",
         cuda);
  char *cudart = format_string("%s/lib64/libcudart_static.a", cuda);
  if (needs_static_cudart && !is_regular_file(cudart))
    fail("CUDA toolkit at %s has no lib64/libcudart_static.a: install CUDA 13 "
         "there or set CUDA_PATH",
         cuda);
  free(header);
  free(cudart);
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv) {
  struct options opts = {0};
  int user_argc = take_own_options(argc, argv, &opts);
  char **user_argv = argv;

  if (opts.help) {
    print_help(stdout);
    return 0;
  }

  struct toolchain tc = {0};
  find_toolchain(&tc);
  if (opts.version) {
    print_version(&tc);
    return 0;
  }

  struct request req = analyze(user_argc, user_argv);
  if (req.cuda_path)
    tc.cuda = req.cuda_path;

  if (opts.no_preempt && req.our_plugin)
    fail("--gp-no-preempt contradicts -fpass-plugin=%s: drop one of them",
         req.our_plugin);

  /* The plugin goes on any compile; a user's own -fpass-plugin of it is used
   * instead, so the pass never runs twice. */
  bool add_plugin = req.has_source && !opts.no_preempt && !req.our_plugin;
  bool link_cudart = req.links && !req.links_cudart;

  check_clang(&tc, add_plugin || req.our_plugin, opts.dry_run);
  if (add_plugin && !is_regular_file(tc.plugin))
    fail("pass plugin not found at %s: build the project (scripts/setup.sh) "
         "or set GPREEMPT_PLUGIN",
         tc.plugin);
  if (req.links && !is_regular_file(tc.runtime))
    fail("runtime library not found at %s: build the project (scripts/setup.sh)",
         tc.runtime);
  if (req.has_source && !is_directory(tc.include_dir))
    fail("gpreempt include directory not found at %s", tc.include_dir);
  check_cuda(tc.cuda, req.has_cuda, link_cudart);

  struct arg_list cmd = {0};
  arg_push(&cmd, tc.clang);
  if (add_plugin)
    arg_push(&cmd, format_string("-fpass-plugin=%s", tc.plugin));
  if (req.has_source)
    arg_push(&cmd, format_string("-I%s", tc.include_dir));
  if (req.has_cuda) {
    if (!req.cuda_path)
      arg_push(&cmd, format_string("--cuda-path=%s", tc.cuda));
    arg_push(&cmd, "-Wno-unknown-cuda-version");
    if (!req.chose_arch)
      arg_push(&cmd, "--cuda-gpu-arch=" GPREEMPT_DEFAULT_CUDA_ARCH);
  }
  for (int i = 0; i < user_argc; i++)
    arg_push(&cmd, user_argv[i]);
  if (req.links) {
    /* Libraries after the user's objects: the linker resolves left to right. */
    arg_push(&cmd, tc.runtime);
    arg_push(&cmd, format_string("-L%s/lib64", tc.cuda));
    if (link_cudart)
      arg_push(&cmd, "-lcudart_static");
    arg_push(&cmd, "-ldl");
    arg_push(&cmd, "-lrt");
    arg_push(&cmd, "-lpthread");
  }

  if (opts.dry_run) {
    print_command(stdout, cmd.items);
    return 0;
  }
  if (opts.verbose)
    print_command(stderr, cmd.items);
  fflush(stdout);
  execv(tc.clang, cmd.items);
  fail("cannot run %s: %s", tc.clang, strerror(errno));
}
