// SO_PEERCRED for Node.js: who is on the other end of a connected unix socket (pid, uid, gid as the kernel recorded
// them at connect time), and the groups of a user from the system's group database (getgrouplist), so the
// privileged update service can decide who may ask and answer. Node has no API for either.
#define _GNU_SOURCE

#include <node_api.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

static void set_number(napi_env env, napi_value obj, const char *name, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  const char *codes[] = {"EBADF", "ENOTSOCK", "ENOPROTOOPT", "EINVAL"};
  const int values[] = {EBADF, ENOTSOCK, ENOPROTOOPT, EINVAL};
  const char *code = "EUNKNOWN";
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) if (values[i] == err) code = codes[i];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}

// peerCredentials(fd) -> { pid, uid, gid }
static napi_value PeerCredentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "peerCredentials(fd): fd must be a non-negative integer");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
  napi_value out;
  napi_create_object(env, &out);
  set_number(env, out, "pid", cred.pid);
  set_number(env, out, "uid", cred.uid);
  set_number(env, out, "gid", cred.gid);
  return out;
}

// groupsOf(uid, gid) -> [gid, …]: the user's groups from the group database; [gid] when the uid has no account.
static napi_value GroupsOf(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t uid, gid;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_uint32(env, argv[0], &uid) != napi_ok || napi_get_value_uint32(env, argv[1], &gid) != napi_ok) {
    napi_throw_type_error(env, NULL, "groupsOf(uid, gid): uid and gid must be non-negative integers");
    return NULL;
  }
  struct passwd pw, *found = NULL;
  char buf[16384];
  int ngroups = 0;
  gid_t *groups = NULL;
  if (getpwuid_r((uid_t)uid, &pw, buf, sizeof buf, &found) == 0 && found != NULL) {
    ngroups = 64;
    for (int attempt = 0; attempt < 4; attempt++) {
      gid_t *grown = realloc(groups, sizeof(gid_t) * (size_t)ngroups);
      if (grown == NULL) break;
      groups = grown;
      int n = ngroups;
      if (getgrouplist(pw.pw_name, (gid_t)gid, groups, &n) >= 0) {
        ngroups = n;
        break;
      }
      ngroups = n > ngroups ? n : ngroups * 2;
      if (attempt == 3) ngroups = 0;
    }
  }
  napi_value out;
  if (ngroups <= 0 || groups == NULL) {
    napi_create_array_with_length(env, 1, &out);
    napi_value v;
    napi_create_double(env, gid, &v);
    napi_set_element(env, out, 0, v);
  } else {
    napi_create_array_with_length(env, (size_t)ngroups, &out);
    for (int i = 0; i < ngroups; i++) {
      napi_value v;
      napi_create_double(env, groups[i], &v);
      napi_set_element(env, out, (uint32_t)i, v);
    }
  }
  free(groups);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "peerCredentials", NAPI_AUTO_LENGTH, PeerCredentials, NULL, &fn);
  napi_set_named_property(env, exports, "peerCredentials", fn);
  napi_create_function(env, "groupsOf", NAPI_AUTO_LENGTH, GroupsOf, NULL, &fn);
  napi_set_named_property(env, exports, "groupsOf", fn);
  return exports;
}
