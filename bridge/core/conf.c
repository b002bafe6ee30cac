/* Strict, table-driven INI configuration. iniparser accepts anything, so every section, key
   and value is checked here against the tables before any device or socket is opened. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <iniparser.h>

#include "bridge/core/conf.h"
#include "bridge/core/memory.h"

_Static_assert(sizeof(((struct sockaddr_un *)0)->sun_path) - 1 == CONF_SOCKET_PATH_MAX,
               "CONF_SOCKET_PATH_MAX matches struct sockaddr_un");

struct conf_value {
  const struct conf_key *key;
  char *text; /* effective text (set value or default); NULL when unset */
  bool set;   /* given in the file */
  int64_t i;
  double d;
  bool b;
  int e;
  char **refs;
  size_t n_refs;
};

struct conf_section {
  struct conf *owner;
  const struct conf_kind *kind;
  const struct conf_driver *drv;
  char *ini_name; /* as iniparser reports it: lowercased "kind name" */
  char *name;
  size_t n_vals;
  struct conf_value *vals;
  char *digest;
};

struct conf {
  char *path;
  size_t n;
  struct conf_section **secs;
  char *err;
  size_t err_len;
  bool failed;
};

/* iniparser reports syntax errors through a printf-style callback; keep the first one. */
static char ini_error[512];

static int capture_ini_error(const char *fmt, ...)
{
  va_list ap;
  if (ini_error[0])
    return 0;
  va_start(ap, fmt);
  if (strstr(fmt, "syntax error") && strstr(fmt, "%s (%d)")) {
    /* iniparser 4.1 passes (file, line number, line text): say it our way. */
    const char *file = va_arg(ap, const char *);
    int line = va_arg(ap, int);
    const char *text = va_arg(ap, const char *);
    (void)file;
    snprintf(ini_error, sizeof(ini_error), "line %d: syntax error: '%s' is not [section] or key = value",
             line, text);
  } else {
    vsnprintf(ini_error, sizeof(ini_error), fmt, ap);
  }
  va_end(ap);
  for (char *p = ini_error; *p; p++)
    if (*p == '\n')
      *p = ' ';
  return 0;
}

static void fail_raw(struct conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail_raw(struct conf *c, const char *fmt, ...)
{
  va_list ap;
  if (c->failed)
    return;
  c->failed = true;
  va_start(ap, fmt);
  vsnprintf(c->err, c->err_len, fmt, ap);
  va_end(ap);
}

void conf_fail(const struct conf_section *s, const char *key, const char *fmt, ...)
{
  struct conf *c = s->owner;
  char msg[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (key)
    fail_raw(c, "%s: [%s] %s: %s", c->path, s->ini_name, key, msg);
  else
    fail_raw(c, "%s: [%s]: %s", c->path, s->ini_name, msg);
}

static bool valid_name(const char *n)
{
  if (!*n || strlen(n) > CONF_NAME_MAX)
    return false;
  for (; *n; n++)
    if (!isalnum((unsigned char)*n) && *n != '-' && *n != '_' && *n != '.')
      return false;
  return true;
}

static const struct conf_kind *find_kind(const struct conf_kind *kinds, size_t n, const char *word)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(kinds[i].name, word) == 0)
      return &kinds[i];
  return NULL;
}

static void list_kinds(const struct conf_kind *kinds, size_t n, char *buf, size_t len)
{
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && off < len; i++)
    off += (size_t)snprintf(buf + off, len - off, "%s[%s%s]", i ? ", " : "", kinds[i].name,
                            kinds[i].named ? " NAME" : "");
}

static void list_drivers(const struct conf_kind *k, char *buf, size_t len)
{
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; k->drivers[i] && off < len; i++)
    off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", k->drivers[i]->type);
}

static struct conf_value *find_value(const struct conf_section *s, const char *key)
{
  for (size_t i = 0; i < s->n_vals; i++)
    if (strcmp(s->vals[i].key->name, key) == 0)
      return &s->vals[i];
  return NULL;
}

static void add_keys(struct conf_section *s, const struct conf_key *keys)
{
  for (; keys && keys->name; keys++) {
    s->vals = xreallocarray(s->vals, s->n_vals + 1, sizeof(*s->vals));
    memset(&s->vals[s->n_vals], 0, sizeof(*s->vals));
    s->vals[s->n_vals++].key = keys;
  }
}

static bool parse_bool(const char *t, bool *out)
{
  static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off", "0"};
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(t, yes[i]) == 0)
      return (*out = true);
    if (strcasecmp(t, no[i]) == 0)
      return !(*out = false);
  }
  return false;
}

static char **split_list(const char *t, size_t *n)
{
  char *copy = xstrdup(t), *save = NULL, **items = NULL;
  *n = 0;
  for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
    /* Names refer to sections, which iniparser folds to lower case. */
    for (char *p = tok; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    items = xreallocarray(items, *n + 1, sizeof(*items));
    items[(*n)++] = xstrdup(tok);
  }
  free(copy);
  return items;
}

/* Parses v->text according to its key; returns false after recording an error. */
static bool parse_value(struct conf_section *s, struct conf_value *v)
{
  const struct conf_key *k = v->key;
  const char *t = v->text;
  char *end;

  if ((k->type == CONF_STRING || k->type == CONF_PATH) && k->max > 0 && strlen(t) > k->max) {
    conf_fail(s, k->name, "longer than %.0f characters", k->max);
    return false;
  }
  switch (k->type) {
  case CONF_STRING:
    if (!*t) {
      conf_fail(s, k->name, "empty value");
      return false;
    }
    return true;
  case CONF_PATH:
    if (t[0] != '/') {
      conf_fail(s, k->name, "'%s' is not an absolute path", t);
      return false;
    }
    return true;
  case CONF_INT:
  case CONF_MODE: {
    long long x;
    errno = 0;
    x = strtoll(t, &end, k->type == CONF_MODE ? 8 : 10);
    if (!*t || *end || errno) {
      conf_fail(s, k->name, "'%s' is not %s", t,
                k->type == CONF_MODE ? "an octal mode (like 0640)" : "an integer");
      return false;
    }
    if ((double)x < k->min || (double)x > k->max) {
      if (k->type == CONF_MODE)
        conf_fail(s, k->name, "%s is out of range (%04o to %04o)", t, (unsigned)k->min,
                  (unsigned)k->max);
      else
        conf_fail(s, k->name, "%s is out of range (%.0f to %.0f)", t, k->min, k->max);
      return false;
    }
    v->i = x;
    return true;
  }
  case CONF_DOUBLE:
    errno = 0;
    v->d = strtod(t, &end);
    if (!*t || *end || errno || !isfinite(v->d)) {
      conf_fail(s, k->name, "'%s' is not a number", t);
      return false;
    }
    if (v->d < k->min || v->d > k->max) {
      conf_fail(s, k->name, "%s is out of range (%g to %g)", t, k->min, k->max);
      return false;
    }
    return true;
  case CONF_BOOL:
    if (!parse_bool(t, &v->b)) {
      conf_fail(s, k->name, "'%s' is not a boolean (yes or no)", t);
      return false;
    }
    return true;
  case CONF_ENUM:
    for (int i = 0; k->choices[i]; i++)
      if (strcmp(t, k->choices[i]) == 0) {
        v->e = i;
        return true;
      }
    {
      char buf[256];
      size_t off = 0;
      for (int i = 0; k->choices[i] && off < sizeof(buf); i++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? ", " : "", k->choices[i]);
      conf_fail(s, k->name, "'%s' is not one of: %s", t, buf);
    }
    return false;
  case CONF_REFS:
    v->refs = split_list(t, &v->n_refs);
    if (v->n_refs == 0) {
      conf_fail(s, k->name, "empty list");
      return false;
    }
    for (size_t i = 0; i < v->n_refs; i++)
      for (size_t j = 0; j < i; j++)
        if (strcmp(v->refs[i], v->refs[j]) == 0) {
          conf_fail(s, k->name, "'%s' is listed twice", v->refs[i]);
          return false;
        }
    return true;
  }
  return false;
}

static void make_digest(struct conf_section *s)
{
  size_t len = strlen(s->ini_name) + 2;
  for (size_t i = 0; i < s->n_vals; i++)
    len += strlen(s->vals[i].key->name) + (s->vals[i].text ? strlen(s->vals[i].text) : 0) + 3;
  s->digest = xmalloc(len);
  strcpy(s->digest, s->ini_name);
  for (size_t i = 0; i < s->n_vals; i++) {
    strcat(s->digest, ";");
    strcat(s->digest, s->vals[i].key->name);
    strcat(s->digest, "=");
    if (s->vals[i].text)
      strcat(s->digest, s->vals[i].text);
  }
}

static bool load_section(struct conf *c, dictionary *d, const char *secname,
                         const struct conf_kind *kinds, size_t n_kinds)
{
  struct conf_section *s = xnew(struct conf_section);
  char word[64], buf[256];
  const char *sp = strchr(secname, ' ');
  size_t wlen = sp ? (size_t)(sp - secname) : strlen(secname);
  const char *name = sp ? sp + 1 : "";
  size_t prefix_len = strlen(secname);

  s->owner = c;
  s->ini_name = xstrdup(secname);
  c->secs = xreallocarray(c->secs, c->n + 1, sizeof(*c->secs));
  c->secs[c->n++] = s;

  snprintf(word, sizeof(word), "%.*s", (int)(wlen < sizeof(word) ? wlen : sizeof(word) - 1), secname);
  while (*name == ' ')
    name++;
  s->kind = find_kind(kinds, n_kinds, word);
  if (!s->kind) {
    list_kinds(kinds, n_kinds, buf, sizeof(buf));
    conf_fail(s, NULL, "unknown section (expected %s)", buf);
    return false;
  }
  if (s->kind->named && !valid_name(name)) {
    conf_fail(s, NULL, "needs a name of up to %d letters, digits, '-', '_' or '.', like [%s NAME]",
              CONF_NAME_MAX, s->kind->name);
    return false;
  }
  if (!s->kind->named && *name) {
    conf_fail(s, NULL, "takes no name; write [%s]", s->kind->name);
    return false;
  }
  s->name = xstrdup(name);
  add_keys(s, s->kind->keys);

  if (s->kind->drivers) {
    char typekey[300];
    const char *type;
    snprintf(typekey, sizeof(typekey), "%s:type", secname);
    type = iniparser_getstring(d, typekey, NULL);
    list_drivers(s->kind, buf, sizeof(buf));
    if (!type || !*type) {
      conf_fail(s, "type", "missing required key (one of: %s)", buf);
      return false;
    }
    for (size_t i = 0; s->kind->drivers[i]; i++)
      if (strcmp(s->kind->drivers[i]->type, type) == 0)
        s->drv = s->kind->drivers[i];
    if (!s->drv) {
      conf_fail(s, "type", "unknown type '%s' (one of: %s)", type, buf);
      return false;
    }
    add_keys(s, s->drv->keys);
  }

  /* Every key given must be known. */
  /* d->size is an int in iniparser 4.1 and a size_t in 4.2 */
  for (size_t i = 0; i < (size_t)d->size; i++) {
    const char *k = d->key[i];
    struct conf_value *v;
    if (!k || strncmp(k, secname, prefix_len) != 0 || k[prefix_len] != ':')
      continue;
    k += prefix_len + 1;
    if (s->kind->drivers && strcmp(k, "type") == 0)
      continue;
    v = find_value(s, k);
    if (!v) {
      if (s->drv)
        conf_fail(s, k, "unknown key for type '%s'", s->drv->type);
      else
        conf_fail(s, k, "unknown key");
      return false;
    }
    v->set = true;
    v->text = xstrdup(d->val[i] ? d->val[i] : "");
  }

  for (size_t i = 0; i < s->n_vals; i++) {
    struct conf_value *v = &s->vals[i];
    if (!v->set) {
      if (v->key->required) {
        conf_fail(s, v->key->name, "missing required key");
        return false;
      }
      if (!v->key->def)
        continue;
      v->text = xstrdup(v->key->def);
    }
    if (!parse_value(s, v))
      return false;
  }
  if (s->drv && s->drv->check && !s->drv->check(s))
    return false;
  if (s->kind->check && !s->kind->check(s))
    return false;
  make_digest(s);
  return true;
}

/* Which section, if any, already claimed an exclusive reference to kind/name. */
static const struct conf_section *claimed_by(struct conf *c, size_t upto, const char *kind,
                                             const char *name)
{
  for (size_t i = 0; i < upto; i++)
    for (size_t j = 0; j < c->secs[i]->n_vals; j++) {
      const struct conf_value *v = &c->secs[i]->vals[j];
      if (v->key->type != CONF_REFS || !v->key->exclusive || strcmp(v->key->ref_kind, kind))
        continue;
      for (size_t r = 0; r < v->n_refs; r++)
        if (strcmp(v->refs[r], name) == 0)
          return c->secs[i];
    }
  return NULL;
}

static bool check_refs(struct conf *c)
{
  for (size_t i = 0; i < c->n; i++) {
    struct conf_section *s = c->secs[i];
    for (size_t j = 0; j < s->n_vals; j++) {
      struct conf_value *v = &s->vals[j];
      if (v->key->type != CONF_REFS)
        continue;
      for (size_t r = 0; r < v->n_refs; r++)
        if (!conf_find(c, v->key->ref_kind, v->refs[r])) {
          conf_fail(s, v->key->name, "no section [%s %s] is defined", v->key->ref_kind, v->refs[r]);
          return false;
        } else if (v->key->exclusive) {
          const struct conf_section *other = claimed_by(c, i, v->key->ref_kind, v->refs[r]);
          if (other) {
            conf_fail(s, v->key->name, "[%s %s] is already fed by [%s]", v->key->ref_kind,
                      v->refs[r], other->ini_name);
            return false;
          }
        }
    }
  }
  return true;
}

/* Two outputs on one SHM unit or one socket would interleave two clocks into one refclock. */
static bool check_unique(struct conf *c)
{
  for (size_t i = 0; i < c->n; i++) {
    struct conf_section *s = c->secs[i];
    for (size_t j = 0; j < s->n_vals; j++) {
      const struct conf_value *v = &s->vals[j];
      if (!v->key->unique || !v->text)
        continue;
      for (size_t k = 0; k < i; k++)
        for (size_t m = 0; m < c->secs[k]->n_vals; m++) {
          const struct conf_value *o = &c->secs[k]->vals[m];
          bool same = o->key == v->key && o->text &&
                      (v->key->type == CONF_INT ? o->i == v->i : strcmp(o->text, v->text) == 0);
          if (same && v->key->type == CONF_INT) {
            conf_fail(s, v->key->name, "%lld is already used by [%s]", (long long)v->i,
                      c->secs[k]->ini_name);
            return false;
          } else if (same) {
            conf_fail(s, v->key->name, "%s is already used by [%s]", v->text,
                      c->secs[k]->ini_name);
            return false;
          }
        }
    }
  }
  return true;
}

struct conf *conf_load(const char *path, const struct conf_kind *kinds, size_t n_kinds, char *err,
                       size_t err_len)
{
  struct conf *c = xnew(struct conf);
  dictionary *d;
  struct stat st;
  FILE *f;

  c->path = xstrdup(path);
  c->err = err;
  c->err_len = err_len;
  err[0] = '\0';

  /* iniparser would only say "cannot open"; give the reason. */
  f = fopen(path, "r");
  if (!f) {
    fail_raw(c, "%s: cannot open: %s", path, strerror(errno));
    goto fail;
  }
  if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    fail_raw(c, "%s: not a regular file", path); /* iniparser reads a directory as empty */
    goto fail;
  }
  fclose(f);

  ini_error[0] = '\0';
  iniparser_set_error_callback(capture_ini_error);
  d = iniparser_load(path);
  iniparser_set_error_callback(NULL);
  if (!d) {
    fail_raw(c, "%s: %s", path, ini_error[0] ? ini_error : "cannot parse");
    goto fail;
  }
  for (size_t i = 0; i < (size_t)d->size; i++)
    if (d->key[i] && d->key[i][0] == ':') {
      fail_raw(c, "%s: key '%s' is outside any section", path, d->key[i] + 1);
      break;
    }
  for (int i = 0; !c->failed && i < iniparser_getnsec(d); i++)
    load_section(c, d, iniparser_getsecname(d, i), kinds, n_kinds);
  iniparser_freedict(d);
  if (!c->failed && c->n == 0)
    fail_raw(c, "%s: nothing is configured (no sections)", path);
  if (!c->failed && check_refs(c))
    check_unique(c);
  if (c->failed)
    goto fail;
  c->err = NULL;
  return c;

fail:
  conf_free(c);
  return NULL;
}

void conf_free(struct conf *c)
{
  if (!c)
    return;
  for (size_t i = 0; i < c->n; i++) {
    struct conf_section *s = c->secs[i];
    for (size_t j = 0; j < s->n_vals; j++) {
      free(s->vals[j].text);
      for (size_t r = 0; r < s->vals[j].n_refs; r++)
        free(s->vals[j].refs[r]);
      free(s->vals[j].refs);
    }
    free(s->vals);
    free(s->ini_name);
    free(s->name);
    free(s->digest);
    free(s);
  }
  free(c->secs);
  free(c->path);
  free(c);
}

const char *conf_path(const struct conf *c)
{
  return c->path;
}

size_t conf_count(const struct conf *c)
{
  return c->n;
}

const struct conf_section *conf_at(const struct conf *c, size_t i)
{
  return i < c->n ? c->secs[i] : NULL;
}

const struct conf_section *conf_find(const struct conf *c, const char *kind, const char *name)
{
  for (size_t i = 0; i < c->n; i++)
    if (c->secs[i]->kind && strcmp(c->secs[i]->kind->name, kind) == 0 && c->secs[i]->name &&
        strcmp(c->secs[i]->name, name) == 0)
      return c->secs[i];
  return NULL;
}

const char *conf_kind_name(const struct conf_section *s)
{
  return s->kind->name;
}

const char *conf_name(const struct conf_section *s)
{
  return s->name;
}

const char *conf_type(const struct conf_section *s)
{
  return s->drv ? s->drv->type : NULL;
}

const struct conf_driver *conf_driver_of(const struct conf_section *s)
{
  return s->drv;
}

const char *conf_digest(const struct conf_section *s)
{
  return s->digest;
}

/* Asking for a key that is not in the section's tables is our bug. */
static const struct conf_value *value_of(const struct conf_section *s, const char *key,
                                         enum conf_type type)
{
  const struct conf_value *v = find_value(s, key);
  if (!v || v->key->type != type) {
    fprintf(stderr, "BUG: key '%s' of type %d not in the table of [%s]\n", key, (int)type,
            s->ini_name);
    abort();
  }
  return v;
}

bool conf_is_set(const struct conf_section *s, const char *key)
{
  const struct conf_value *v = find_value(s, key);
  return v && v->set;
}

const char *conf_str(const struct conf_section *s, const char *key)
{
  const struct conf_value *v = find_value(s, key);
  if (!v || (v->key->type != CONF_STRING && v->key->type != CONF_PATH && v->key->type != CONF_ENUM))
    value_of(s, key, CONF_STRING);
  return v->text;
}

int64_t conf_int(const struct conf_section *s, const char *key)
{
  const struct conf_value *v = find_value(s, key);
  if (!v || (v->key->type != CONF_INT && v->key->type != CONF_MODE))
    value_of(s, key, CONF_INT);
  return v->i;
}

double conf_double(const struct conf_section *s, const char *key)
{
  return value_of(s, key, CONF_DOUBLE)->d;
}

bool conf_bool(const struct conf_section *s, const char *key)
{
  return value_of(s, key, CONF_BOOL)->b;
}

int conf_enum(const struct conf_section *s, const char *key)
{
  return value_of(s, key, CONF_ENUM)->e;
}

size_t conf_refs(const struct conf_section *s, const char *key, const char *const **names)
{
  const struct conf_value *v = value_of(s, key, CONF_REFS);
  *names = (const char *const *)v->refs;
  return v->n_refs;
}
