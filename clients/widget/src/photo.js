// Photos from a phone camera: scaled down before upload. A full-resolution
// photo is several MB over a mobile link, and redrawing it on a canvas also
// drops the EXIF metadata (GPS position, device) the patient did not mean to
// send. Formats the browser cannot decode (HEIC outside Safari) are sent as
// they are; the server accepts them (PROTOCOL.md §4).

const MAX_SIDE = 2048;
const QUALITY = 0.88;

/** @param {File} file @returns {Promise<Blob>} */
export async function prepareImage(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return file;
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d")?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  return blob ?? file;
}
