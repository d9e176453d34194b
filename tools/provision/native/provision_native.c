/*
 * Native issuing engine of the provisioning tool (tools/provision/nativeEngine.ts builds and loads it; README "Native
 * engine"). It does, per device, the steps whose per-call cost in JavaScript was most of a device's CPU time: the
 * XTS-AES encryption of the NVS image, the AES-GCM key wraps, writing the pending folder, and the chunk's syncfs.
 * The formats and the commit protocol stay in TypeScript (device.ts, batch.ts); nothing here chooses a byte of
 * output. Every function has a JavaScript twin that tests/tools/provision/native.test.ts compares it with.
 *
 * Cryptography is OpenSSL's EVP API from the OpenSSL that Node itself is built with (its headers ship with Node in
 * include/node/openssl; its symbols resolve against the node binary when the addon loads). No secret is kept:
 * derived keys live on the stack and are wiped with OPENSSL_cleanse; no message names a key.
 * N-API (node_api.h, version 8): one binary per Node ABI-stable API, loadable in worker threads (context-aware,
 * NAPI_MODULE_INIT).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The NVS data unit: one 32-byte entry (ESP-IDF nvs_encrypted_partition.cpp, NVS Encryption). */
#define ENTRY_SIZE 32

/*
 * HMAC-based NVS key protection (ESP-IDF components/nvs_sec_provider/nvs_sec_provider.c,
 * compute_nvs_keys_with_hmac()): eky = HMAC-SHA256(key, 0xAEBE5A5A x 8 as little-endian uint32), tky = the same
 * with 0xCEDEA5A5. Byte patterns as tools/provision/nvs.ts HMAC_EKEY_SEED / HMAC_TKEY_SEED.
 */
static const unsigned char EKEY_SEED_WORD[4] = {0x5a, 0x5a, 0xbe, 0xae};
static const unsigned char TKEY_SEED_WORD[4] = {0xa5, 0xa5, 0xde, 0xce};

static napi_value usage(napi_env env, const char *message) {
	napi_throw_type_error(env, NULL, message);
	return NULL;
}

static napi_value failure(napi_env env, const char *message) {
	napi_throw_error(env, NULL, message);
	return NULL;
}

/* A Uint8Array (or Uint32Array, as its bytes) argument. */
static int bytes_arg(napi_env env, napi_value value, unsigned char **data, size_t *length) {
	napi_typedarray_type type;
	napi_value buffer;
	size_t offset, count;
	void *base;
	if (napi_get_typedarray_info(env, value, &type, &count, &base, &buffer, &offset) != napi_ok) return 0;
	if (type == napi_uint8_array) *length = count;
	else if (type == napi_uint32_array) *length = count * 4;
	else return 0;
	*data = base;
	return 1;
}

/*
 * xtsEntries(image: Uint8Array, entries: Uint32Array, keys: Uint8Array): encrypts in place every 32-byte entry at
 * the given partition-relative offsets with XTS-AES-256 (IEEE 1619-2007 5.3), the tweak being the entry's offset as
 * a 16-byte little-endian number (nvs_encrypted_partition.cpp). `keys` is eky | tky (64 bytes, the nvs_keys
 * partition's first 64 bytes, OpenSSL's XTS key order: data key, then tweak key), or a 32-byte HMAC key from which
 * both are derived as above.
 */
static napi_value xts_entries(napi_env env, napi_callback_info info) {
	size_t argc = 3;
	napi_value argv[3];
	unsigned char *image, *entry_bytes, *key;
	size_t image_length, entry_bytes_length, key_length;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3
		|| !bytes_arg(env, argv[0], &image, &image_length) || !bytes_arg(env, argv[1], &entry_bytes, &entry_bytes_length)
		|| !bytes_arg(env, argv[2], &key, &key_length))
		return usage(env, "xtsEntries(image: Uint8Array, entries: Uint32Array, keys: Uint8Array)");
	if (key_length != 64 && key_length != 32) return usage(env, "xtsEntries: keys must be eky|tky (64 bytes) or an HMAC key (32 bytes)");
	if (entry_bytes_length % 4 != 0) return usage(env, "xtsEntries: entries must be a Uint32Array");
	const uint32_t *entries = (const uint32_t *)entry_bytes;
	size_t count = entry_bytes_length / 4;
	for (size_t k = 0; k < count; k++)
		if ((size_t)entries[k] + ENTRY_SIZE > image_length) return usage(env, "xtsEntries: entry offset outside the image");

	unsigned char keys[64];
	int ok = 1;
	if (key_length == 64) memcpy(keys, key, 64);
	else {
		unsigned char seed[32];
		unsigned int out_length = 32;
		for (int i = 0; i < 32; i++) seed[i] = EKEY_SEED_WORD[i & 3];
		ok = HMAC(EVP_sha256(), key, 32, seed, 32, keys, &out_length) != NULL && out_length == 32;
		for (int i = 0; i < 32; i++) seed[i] = TKEY_SEED_WORD[i & 3];
		ok = ok && HMAC(EVP_sha256(), key, 32, seed, 32, keys + 32, &out_length) != NULL && out_length == 32;
	}
	EVP_CIPHER_CTX *ctx = ok ? EVP_CIPHER_CTX_new() : NULL;
	/* The key schedule once per image; each entry then only sets its tweak (the IV). */
	ok = ctx != NULL && EVP_EncryptInit_ex(ctx, EVP_aes_256_xts(), NULL, keys, NULL) == 1;
	OPENSSL_cleanse(keys, sizeof keys);
	for (size_t k = 0; ok && k < count; k++) {
		uint32_t at = entries[k];
		unsigned char tweak[16] = {0};
		int written = 0;
		tweak[0] = at & 0xff;
		tweak[1] = (at >> 8) & 0xff;
		tweak[2] = (at >> 16) & 0xff;
		tweak[3] = at >> 24;
		ok = EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, tweak) == 1
			&& EVP_EncryptUpdate(ctx, image + at, &written, image + at, ENTRY_SIZE) == 1 && written == ENTRY_SIZE;
	}
	EVP_CIPHER_CTX_free(ctx); /* wipes the key schedule */
	/* OpenSSL refuses an XTS key whose halves are equal (IEEE 1619 5.1 forbids it): a 2^-256 event, reported. */
	if (!ok) {
		ERR_clear_error(); /* not left for node:crypto on this thread to find */
		return failure(env, "xtsEntries: XTS-AES-256 encryption failed");
	}
	return NULL;
}

/*
 * gcmSeal(key: 32 bytes, iv: 12 bytes, aad: Uint8Array, plaintext: Uint8Array, out: plaintext.length + 16 bytes):
 * AES-256-GCM (NIST SP 800-38D) with a 96-bit IV; out = ciphertext | 128-bit tag, as wrap.ts wrapKey gives them.
 */
static napi_value gcm_seal(napi_env env, napi_callback_info info) {
	size_t argc = 5;
	napi_value argv[5];
	unsigned char *key, *iv, *aad, *plaintext, *out;
	size_t key_length, iv_length, aad_length, plaintext_length, out_length;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5
		|| !bytes_arg(env, argv[0], &key, &key_length) || !bytes_arg(env, argv[1], &iv, &iv_length)
		|| !bytes_arg(env, argv[2], &aad, &aad_length) || !bytes_arg(env, argv[3], &plaintext, &plaintext_length)
		|| !bytes_arg(env, argv[4], &out, &out_length))
		return usage(env, "gcmSeal(key, iv, aad, plaintext, out: Uint8Array)");
	if (key_length != 32 || iv_length != 12 || out_length != plaintext_length + 16 || plaintext_length > 4096 || aad_length > 4096)
		return usage(env, "gcmSeal: key 32 bytes, IV 12 bytes, out = plaintext + 16 bytes (at most 4096 each)");
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int written = 0, final_length = -1;
	int ok = ctx != NULL && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv) == 1
		&& EVP_EncryptUpdate(ctx, NULL, &written, aad, (int)aad_length) == 1
		&& EVP_EncryptUpdate(ctx, out, &written, plaintext, (int)plaintext_length) == 1 && (size_t)written == plaintext_length
		&& EVP_EncryptFinal_ex(ctx, out + written, &final_length) == 1 && final_length == 0
		&& EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + plaintext_length) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		ERR_clear_error();
		return failure(env, "gcmSeal: AES-256-GCM failed");
	}
	return NULL;
}

/* The Error Node's fs functions throw: code, errno, syscall and path (uv's names and texts). */
static napi_value errno_exception(napi_env env, int error, const char *syscall, const char *path) {
	int uv_error = uv_translate_sys_error(error);
	char message[4200];
	snprintf(message, sizeof message, "%s: %s, %s '%s'", uv_err_name(uv_error), uv_strerror(uv_error), syscall, path);
	napi_value code, text, exception, value;
	napi_create_string_utf8(env, uv_err_name(uv_error), NAPI_AUTO_LENGTH, &code);
	napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
	napi_create_error(env, code, text, &exception);
	napi_create_int32(env, uv_error, &value);
	napi_set_named_property(env, exception, "errno", value);
	napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value);
	napi_set_named_property(env, exception, "syscall", value);
	napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &value);
	napi_set_named_property(env, exception, "path", value);
	return exception;
}

/* Throws errno_exception(). */
static napi_value system_error(napi_env env, int error, const char *syscall, const char *path) {
	napi_throw(env, errno_exception(env, error, syscall, path));
	return NULL;
}

#define PATH_LIMIT 4096
#define NAME_LIMIT 64

/*
 * writeDir(dir: string, names: string[], contents: Uint8Array[]): mkdir(dir, 0700), then each file created 0600
 * (O_WRONLY | O_CREAT | O_TRUNC, as fs.openSync(path, "w", 0o600)), written whole and closed; no fsync (the batch's
 * group commit syncs a chunk at once). An existing `dir` throws EEXIST like fs.mkdirSync (the caller replaces it).
 */
static napi_value write_dir(napi_env env, napi_callback_info info) {
	size_t argc = 3;
	napi_value argv[3];
	char dir[PATH_LIMIT];
	size_t dir_length;
	uint32_t count, contents_count;
	bool is_array;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3
		|| napi_get_value_string_utf8(env, argv[0], dir, sizeof dir, &dir_length) != napi_ok
		|| napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &count) != napi_ok
		|| napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[2], &contents_count) != napi_ok
		|| contents_count != count)
		return usage(env, "writeDir(dir: string, names: string[], contents: Uint8Array[])");
	if (dir_length == 0 || dir_length + 1 + NAME_LIMIT >= PATH_LIMIT || strlen(dir) != dir_length) return usage(env, "writeDir: bad directory path");
	char path[PATH_LIMIT];
	const char *names[8];
	char name_store[8][NAME_LIMIT];
	unsigned char *data[8];
	size_t lengths[8];
	if (count > 8) return usage(env, "writeDir: at most 8 files");
	/* Every argument is checked before anything is created. */
	for (uint32_t i = 0; i < count; i++) {
		napi_value name, content;
		size_t name_length;
		if (napi_get_element(env, argv[1], i, &name) != napi_ok || napi_get_element(env, argv[2], i, &content) != napi_ok
			|| napi_get_value_string_utf8(env, name, name_store[i], NAME_LIMIT, &name_length) != napi_ok
			|| name_length == 0 || name_length >= NAME_LIMIT - 1 || strchr(name_store[i], '/') != NULL || strlen(name_store[i]) != name_length
			|| strcmp(name_store[i], ".") == 0 || strcmp(name_store[i], "..") == 0 || !bytes_arg(env, content, &data[i], &lengths[i]))
			return usage(env, "writeDir: each name a plain file name, each content a Uint8Array");
		names[i] = name_store[i];
	}
	if (mkdir(dir, 0700) != 0) return system_error(env, errno, "mkdir", dir);
	for (uint32_t i = 0; i < count; i++) {
		if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path) return usage(env, "writeDir: path too long");
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) return system_error(env, errno, "open", path);
		size_t at = 0;
		while (at < lengths[i]) {
			ssize_t n = write(fd, data[i] + at, lengths[i] - at);
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0) {
				int error = n < 0 ? errno : EIO;
				close(fd);
				return system_error(env, error, "write", path);
			}
			at += (size_t)n;
		}
		if (close(fd) != 0) return system_error(env, errno, "close", path);
	}
	return NULL;
}

/*
 * syncfs(path: string): Promise<void>. syncfs(2) of the file system holding `path`, on libuv's thread pool so the
 * main thread keeps working: the chunk's files and folders reach the disk in one call (what `sync -f` does, without
 * a process). Since Linux 5.8 it reports writeback errors of that file system (syncfs(2), "ERRORS"). Not Linux:
 * rejects with ENOSYS, and the caller syncs file by file.
 */
typedef struct {
	napi_async_work work;
	napi_deferred deferred;
	char path[PATH_LIMIT];
	int error;
	const char *syscall;
} SyncJob;

static void sync_execute(napi_env env, void *data) {
	(void)env;
	SyncJob *job = data;
	int fd = open(job->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) { job->error = errno; job->syscall = "open"; return; }
#ifdef __linux__
	if (syncfs(fd) != 0) { job->error = errno; job->syscall = "syncfs"; }
#else
	job->error = ENOSYS;
	job->syscall = "syncfs";
#endif
	close(fd);
}

static void sync_complete(napi_env env, napi_status status, void *data) {
	SyncJob *job = data;
	if (status == napi_ok && job->error == 0) {
		napi_value undefined;
		napi_get_undefined(env, &undefined);
		napi_resolve_deferred(env, job->deferred, undefined);
	} else {
		/* status != napi_ok: the work was cancelled (the environment is going away). */
		int error = status == napi_ok ? job->error : EINTR;
		napi_reject_deferred(env, job->deferred, errno_exception(env, error, job->syscall ? job->syscall : "syncfs", job->path));
	}
	napi_delete_async_work(env, job->work);
	free(job);
}

static napi_value sync_fs(napi_env env, napi_callback_info info) {
	size_t argc = 1;
	napi_value argv[1], promise, name;
	SyncJob *job = calloc(1, sizeof *job);
	size_t length;
	if (job == NULL) return failure(env, "syncfs: out of memory");
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1
		|| napi_get_value_string_utf8(env, argv[0], job->path, sizeof job->path, &length) != napi_ok
		|| length == 0 || length >= sizeof job->path - 1 || strlen(job->path) != length) {
		free(job);
		return usage(env, "syncfs(path: string)");
	}
	if (napi_create_string_utf8(env, "enigm.provision.syncfs", NAPI_AUTO_LENGTH, &name) != napi_ok
		|| napi_create_async_work(env, NULL, name, sync_execute, sync_complete, job, &job->work) != napi_ok) {
		free(job);
		return failure(env, "syncfs: could not create the work");
	}
	if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
		napi_delete_async_work(env, job->work);
		free(job);
		return failure(env, "syncfs: could not create the promise");
	}
	if (napi_queue_async_work(env, job->work) != napi_ok) {
		/* Rejected here, since sync_complete will never run; the caller gets the promise. */
		napi_value text, exception;
		napi_create_string_utf8(env, "syncfs: could not queue the work", NAPI_AUTO_LENGTH, &text);
		napi_create_error(env, NULL, text, &exception);
		napi_reject_deferred(env, job->deferred, exception);
		napi_delete_async_work(env, job->work);
		free(job);
	}
	return promise;
}

/*
 * renameAll(from: string, to: string, names: string[]): rename(from/name, to/name) for each name in order; stops
 * at the first failure and throws it, with `renamed` (how many succeeded) on the error. A target folder that exists
 * fails with ENOTEMPTY/EEXIST as fs.renameSync does (the caller replaces it and goes on).
 */
static napi_value rename_all(napi_env env, napi_callback_info info) {
	size_t argc = 3;
	napi_value argv[3];
	char from[PATH_LIMIT], to[PATH_LIMIT], source[PATH_LIMIT], target[PATH_LIMIT];
	size_t from_length, to_length;
	uint32_t count;
	bool is_array;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3
		|| napi_get_value_string_utf8(env, argv[0], from, sizeof from, &from_length) != napi_ok
		|| napi_get_value_string_utf8(env, argv[1], to, sizeof to, &to_length) != napi_ok
		|| napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[2], &count) != napi_ok
		|| from_length == 0 || to_length == 0 || from_length + NAME_LIMIT + 2 >= PATH_LIMIT || to_length + NAME_LIMIT + 2 >= PATH_LIMIT)
		return usage(env, "renameAll(from: string, to: string, names: string[])");
	for (uint32_t i = 0; i < count; i++) {
		napi_value element;
		char name[NAME_LIMIT + 2];
		size_t name_length;
		if (napi_get_element(env, argv[2], i, &element) != napi_ok
			|| napi_get_value_string_utf8(env, element, name, sizeof name, &name_length) != napi_ok
			|| name_length == 0 || name_length > NAME_LIMIT || strchr(name, '/') != NULL || strlen(name) != name_length
			|| strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return usage(env, "renameAll: each name a plain file name of 1..64 bytes");
		if (snprintf(source, sizeof source, "%s/%s", from, name) >= (int)sizeof source
			|| snprintf(target, sizeof target, "%s/%s", to, name) >= (int)sizeof target)
			return usage(env, "renameAll: path too long");
		if (rename(source, target) != 0) {
			int error = errno;
			system_error(env, error, "rename", source);
			napi_value exception, renamed;
			napi_get_and_clear_last_exception(env, &exception);
			napi_create_uint32(env, i, &renamed);
			napi_set_named_property(env, exception, "renamed", renamed);
			napi_throw(env, exception);
			return NULL;
		}
	}
	return NULL;
}

NAPI_MODULE_INIT() {
	napi_property_descriptor properties[] = {
		{"xtsEntries", NULL, xts_entries, NULL, NULL, NULL, napi_enumerable, NULL},
		{"gcmSeal", NULL, gcm_seal, NULL, NULL, NULL, napi_enumerable, NULL},
		{"writeDir", NULL, write_dir, NULL, NULL, NULL, napi_enumerable, NULL},
		{"syncfs", NULL, sync_fs, NULL, NULL, NULL, napi_enumerable, NULL},
		{"renameAll", NULL, rename_all, NULL, NULL, NULL, napi_enumerable, NULL},
	};
	if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
	return exports;
}
