// Alipay's side of the shells: my.request, my.getAuthCode, my.tradePay. Alipay users are
// certified (实名) by Alipay itself, so there is no face step here.

function parseJson(data) {
  if (data && typeof data === "object") return data;
  try {
    return typeof data === "string" ? JSON.parse(data) : null;
  } catch (e) {
    return null;
  }
}

function readJson(path) {
  return new Promise(function (resolve) {
    if (!path) return resolve(null);
    try {
      my.getFileSystemManager().readFile({
        filePath: path,
        encoding: "utf8",
        success: function (res) {
          resolve(parseJson(res.data));
        },
        fail: function () {
          resolve(null);
        },
      });
    } catch (e) {
      resolve(null);
    }
  });
}

export const host = {
  channel: "alipay",
  payMode: "jsapi",
  loginLabel: "支付宝一键登录",
  canFaceVerify: false,
  transport: function (req) {
    return new Promise(function (resolve, reject) {
      my.request({
        url: req.url,
        method: req.method,
        headers: req.headers,
        data: req.body === undefined ? undefined : JSON.stringify(req.body),
        dataType: "json",
        success: function (res) {
          resolve({ status: res.status, data: res.data, headers: res.headers || {} });
        },
        // Alipay reports HTTP 4xx/5xx through fail, with the status and body attached.
        fail: function (err) {
          if (err && err.status) resolve({ status: err.status, data: err.data, headers: err.headers || {} });
          else reject(err);
        },
      });
    });
  },
  store: {
    get: function (key) {
      const res = my.getStorageSync({ key: key });
      return (res && res.data) || null;
    },
    set: function (key, value) {
      my.setStorageSync({ key: key, data: value });
    },
    remove: function (key) {
      my.removeStorageSync({ key: key });
    },
  },
  login: function () {
    return new Promise(function (resolve, reject) {
      my.getAuthCode({
        scopes: "auth_base",
        success: function (res) {
          resolve(res.authCode);
        },
        fail: reject,
      });
    });
  },
  faceVerify: function () {
    return Promise.reject(new Error("Alipay users are certified by Alipay"));
  },
  // 9000 paid; 8000 and 6004 are "processing / unknown": our server learns the truth from
  // Alipay's notification, so they wait for the receipt like a success.
  pay: function (params) {
    return new Promise(function (resolve) {
      my.tradePay({
        tradeNO: params.trade_no,
        success: function (res) {
          const code = String(res.resultCode);
          if (code === "9000" || code === "8000" || code === "6004") resolve("paid");
          else if (code === "6001") resolve("cancelled");
          else resolve("failed");
        },
        fail: function () {
          resolve("failed");
        },
      });
    });
  },
  // my.downloadFile takes `header` (my.request takes `headers`). An HTTP error arrives as a
  // success with statusCode (base library 2.8.8+; the JSON body is then the file) or,
  // like my.request, through fail with the status and body attached.
  download: function (req) {
    return new Promise(function (resolve, reject) {
      my.downloadFile({
        url: req.url,
        header: req.headers,
        success: function (res) {
          const status = res.statusCode || 200;
          const path = res.apFilePath || res.tempFilePath;
          if (status < 300) {
            resolve({ status: status, path: path, data: null });
          } else {
            readJson(path).then(function (data) {
              resolve({ status: status, path: "", data: data });
            });
          }
        },
        // A body that is one of our error answers is a refusal even if no status came with it.
        fail: function (err) {
          const data = parseJson(err && err.data);
          const refused = data && typeof data.code === "string";
          const status = (err && (err.statusCode || err.status)) || (refused ? 400 : 0);
          if (status) resolve({ status: status, path: "", data: data });
          else reject(err);
        },
      });
    });
  },
  // Alipay has no date mode on <picker>: my.datePicker is its date control.
  pickDate: function (current) {
    return new Promise(function (resolve) {
      my.datePicker({
        format: "yyyy-MM-dd",
        currentDate: current || undefined,
        success: function (res) {
          resolve(res.date || "");
        },
        fail: function () {
          resolve("");
        },
      });
    });
  },
  chooseImages: function (count) {
    return new Promise(function (resolve, reject) {
      my.chooseImage({
        count: count,
        sourceType: ["album", "camera"],
        success: function (res) {
          const paths = res.apFilePaths || res.tempFilePaths || [];
          resolve(
            paths.map(function (path, i) {
              return { path: path, name: "photo-" + (i + 1) + ".jpg", size: 0 };
            })
          );
        },
        // 11: the resident cancelled.
        fail: function (err) {
          if (err && err.error === 11) resolve([]);
          else reject(err);
        },
      });
    });
  },
  // my.uploadFile names the field fileName and wants a fileType; the body comes back as text.
  upload: function (req) {
    return new Promise(function (resolve, reject) {
      const task = my.uploadFile({
        url: req.url,
        filePath: req.file.path,
        fileName: "file",
        fileType: "image",
        header: req.headers,
        success: function (res) {
          resolve({ status: res.statusCode, data: parseJson(res.data) });
        },
        fail: function (err) {
          const data = parseJson(err && err.data);
          const status = (err && (err.statusCode || err.status)) || 0;
          if (status) resolve({ status: status, data: data });
          else reject(err);
        },
      });
      if (task && task.onProgressUpdate) {
        task.onProgressUpdate(function (p) {
          req.onProgress(p.progress);
        });
      }
    });
  },
  getLocation: function () {
    return new Promise(function (resolve, reject) {
      my.getLocation({
        type: 0,
        success: function (res) {
          resolve({ lat: Number(res.latitude), long: Number(res.longitude) });
        },
        fail: reject,
      });
    });
  },
  subscribe: function (templates) {
    return new Promise(function (resolve) {
      my.requestSubscribeMessage({
        entityIds: templates,
        success: function (res) {
          const accepted = (res && res.result && res.result.subscribeEntityIds) || [];
          resolve(accepted);
        },
        fail: function () {
          resolve([]);
        },
      });
    });
  },
  redirect: function (url) {
    my.redirectTo({ url: url });
  },
  scan: function () {
    return new Promise(function (resolve, reject) {
      my.scan({
        success: function (res) {
          resolve(res.code);
        },
        fail: reject,
      });
    });
  },
  navigate: function (url) {
    my.navigateTo({ url: url });
  },
  toast: function (message) {
    my.showToast({ content: message, type: "none", duration: 2500 });
  },
  alert: function (message) {
    my.alert({ title: "提示", content: message });
  },
};
