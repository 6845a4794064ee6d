// The API client of this mini-program, built from the build's config and the platform host.

import { createApi } from "./core/api.js";
import { config } from "./config.js";
import { host } from "./host.js";

export const api = createApi({
  base: config.apiBase,
  transport: host.transport,
  download: host.download,
  upload: host.upload,
  store: host.store,
});

export async function signIn() {
  const code = await host.login();
  return api.signIn(host.channel, code);
}

// Pages that need a resident call this first; it signs in silently (the platforms' login
// calls need no tap) and answers the citizen.
export async function ensureSignedIn() {
  if (api.signedIn()) {
    try {
      return await api.me();
    } catch (error) {
      if (error.code !== "UNAUTHENTICATED" && error.code !== "TOKEN_INVALID") throw error;
    }
  }
  return (await signIn()).citizen;
}
