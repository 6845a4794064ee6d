// The H5 shell's platform: fetch, localStorage and the provincial app's cashier.
// The mini-programs have their own hosts (wx., my.); the page logic sees only this shape.

export const host = {
  channel: "app",
  payMode: undefined,
  transport: async function (req) {
    const response = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      credentials: "omit",
    });
    const text = response.status === 204 || response.status === 304 ? "" : await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = null;
      }
    }
    return { status: response.status, data: data, headers: { etag: response.headers.get("ETag") } };
  },
  // Images behind the bearer token (an <img> cannot send a header): fetched, then shown
  // from a blob: URL; the caller revokes it when the image goes away.
  download: async function (req) {
    const response = await fetch(req.url, { headers: req.headers, credentials: "omit" });
    if (!response.ok) {
      let data = null;
      try {
        data = await response.json();
      } catch (e) {
        data = null;
      }
      return { status: response.status, path: "", data: data };
    }
    return { status: response.status, path: URL.createObjectURL(await response.blob()), data: null };
  },
  // A material or 12345 photo, picked with an <input type=file>: sent as multipart field
  // `file`, its progress from XMLHttpRequest's upload events.
  upload: function (req) {
    return new Promise(function (resolve, reject) {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", req.url);
      Object.keys(req.headers).forEach(function (name) {
        xhr.setRequestHeader(name, req.headers[name]);
      });
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) req.onProgress(Math.round((e.loaded / e.total) * 100));
      };
      xhr.onload = function () {
        let data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (e) {
          data = null;
        }
        resolve({ status: xhr.status, data: data });
      };
      xhr.onerror = reject;
      const form = new FormData();
      form.append("file", req.file.blob, req.file.name);
      xhr.send(form);
    });
  },
  // Asked only when the resident ticks "附上我的位置": the browser then asks for consent.
  getLocation: function () {
    return new Promise(function (resolve, reject) {
      if (!navigator.geolocation) return reject(new Error("no geolocation"));
      navigator.geolocation.getCurrentPosition(
        function (p) {
          resolve({ lat: p.coords.latitude, long: p.coords.longitude });
        },
        reject,
        { timeout: 10000, maximumAge: 60000 }
      );
    });
  },
  // The app tells its residents through its own message centre: nothing to ask here.
  subscribe: function () {
    return Promise.resolve([]);
  },
  store: {
    get: function (key) {
      try {
        return localStorage.getItem(key);
      } catch (e) {
        return null;
      }
    },
    set: function (key, value) {
      try {
        localStorage.setItem(key, value);
      } catch (e) {
        /* private mode: the session lasts as long as the page */
      }
    },
    remove: function (key) {
      try {
        localStorage.removeItem(key);
      } catch (e) {
        /* nothing stored */
      }
    },
  },
  // The province's unified cashier is a page of its own. The resident pays there and comes
  // back; the order page this leaves in history then waits for the result.
  pay: async function (params, order) {
    if (!params || !params.cashier_url) return "failed";
    history.replaceState(null, "", "#/order/" + encodeURIComponent(order.id));
    location.assign(params.cashier_url);
    return "redirected";
  },
};
