/**
 * Not API: the SDK's own machinery (leader routing, resumable streams, chunked uploads, the mapping of
 * gRPC statuses to {@link pm.client.ClusterClientException}s). Public only because {@code pm.client}
 * and {@code pm.client.cli} use it across packages; anything here may change or go in any release
 * without notice. Callers use {@code pm.client}.
 */
package pm.client.internal;
