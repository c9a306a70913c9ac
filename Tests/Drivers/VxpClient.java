// A JVM client of the national hub's SDK dialect, written from ../shared/vxp-wire.md (no SDK code): the
// same HTTP stack as the SDK's sendEdoc (java.net.HttpURLConnection), one parameter map per session that
// calls add to and never clear, the timestamp fixed when the session is made, the Gson-style sign-header
// and its HMAC-SHA256, the file plus CRLF with the SDK's unpadded hash-file, `{}` bodies sent after
// `Expect: 100-continue`. Runs the SDK's sequence between two systems and checks every answer.
//
//   java Tests/Drivers/VxpClient.java ENDPOINT SENDER_SYSTEM SENDER_SECRET_FILE SENDER_CODE RECIPIENT_SYSTEM RECIPIENT_SECRET_FILE FILE
//
// Prints one line per call and "done: N calls answered OK"; exits 1 on the first wrong answer.
import java.io.*;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.MessageDigest;
import java.text.SimpleDateFormat;
import java.util.*;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class VxpClient {
    static int calls = 0;

    static final class Session {
        final String endpoint;
        final byte[] secret;
        final LinkedHashMap<String, String> params = new LinkedHashMap<>();

        Session(String endpoint, String system, String secret) {
            this.endpoint = endpoint;
            this.secret = secret.getBytes(StandardCharsets.UTF_8);
            Date now = new Date();
            params.put("systemid", system);
            params.put("timestamp", new SimpleDateFormat("ddMMyyyy'T'HHmmss").format(now) + "+" + String.format("%04d", now.getTime() % 1000));
        }

        static String quote(String s) {
            StringBuilder b = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"': b.append("\\\""); break;
                    case '\\': b.append("\\\\"); break;
                    case '\n': b.append("\\n"); break;
                    case '\r': b.append("\\r"); break;
                    case '\t': b.append("\\t"); break;
                    default:
                        if (c < 0x20 || c == '\u2028' || c == '\u2029') b.append(String.format("\\u%04x", (int) c));
                        else b.append(c);
                }
            }
            return b.append('"').toString();
        }

        String call(String operation, Map<String, String> extra, byte[] body, String contentType, boolean expectContinue) throws Exception {
            params.put("Content-Type", contentType);
            params.putAll(extra);
            StringBuilder json = new StringBuilder("{");
            for (Map.Entry<String, String> e : params.entrySet()) {
                if (json.length() > 1) json.append(',');
                json.append(quote("XroadVnpt-" + e.getKey())).append(':').append(quote(e.getValue()));
            }
            json.append('}');
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            StringBuilder hash = new StringBuilder();
            for (byte b : mac.doFinal(json.toString().getBytes(StandardCharsets.UTF_8))) hash.append(String.format("%02x", b));

            HttpURLConnection c = (HttpURLConnection) new URL(endpoint + "/" + operation).openConnection();
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            for (Map.Entry<String, String> e : params.entrySet()) c.setRequestProperty("XroadVnpt-" + e.getKey(), e.getValue());
            c.setRequestProperty("Content-Type", contentType);
            c.setRequestProperty("XroadVnpt-sign-header-key", String.join(";", params.keySet()));
            c.setRequestProperty("XroadVnpt-sign-header", json.toString());
            c.setRequestProperty("XroadVnpt-hash-header", hash.toString());
            c.setRequestProperty("User-Agent", "JAVASDKAgent/1.0.0 XRoad/VPCP");
            if (expectContinue) c.setRequestProperty("Expect", "100-continue");
            c.setFixedLengthStreamingMode(body.length);
            long started = System.nanoTime();
            try (OutputStream out = c.getOutputStream()) { out.write(body); }
            int status = c.getResponseCode();
            InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
            StringBuilder answer = new StringBuilder();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) answer.append(line); // the SDK joins lines
            }
            long ms = (System.nanoTime() - started) / 1_000_000;
            calls++;
            String text = answer.toString();
            System.out.printf("%-20s %4d ms  %s%n", operation, ms, text.length() > 150 ? text.substring(0, 150) + "…" : text);
            if (!"OK".equals(field(text, "status")) || !"0".equals(field(text, "ErrorCode")) || field(text, "ErrorDesc") == null) {
                fail(operation + " answered " + text);
            }
            if (expectContinue && ms > 1500) fail(operation + " took " + ms + " ms: 100 Continue was not answered at once");
            return text;
        }
    }

    /// The string value of a top-level-looking member (a scan, not a regex: `data` may be megabytes).
    static String field(String json, String name) {
        String key = "\"" + name + "\":\"";
        int start = json.indexOf(key);
        if (start < 0) return null;
        StringBuilder value = new StringBuilder();
        for (int i = start + key.length(); i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '\\' && i + 1 < json.length()) { value.append(c).append(json.charAt(++i)); continue; }
            if (c == '"') return value.toString();
            value.append(c);
        }
        return null;
    }

    static void fail(String why) {
        System.out.println("FAILED: " + why);
        System.exit(1);
    }

    public static void main(String[] a) throws Exception {
        String endpoint = a[0];
        Session sender = new Session(endpoint, a[1], Files.readString(Path.of(a[2])).trim());
        String senderCode = a[3];
        Session recipient = new Session(endpoint, a[4], Files.readString(Path.of(a[5])).trim());
        byte[] file = Files.readAllBytes(Path.of(a[6]));

        StringBuilder hashFile = new StringBuilder();
        for (byte b : MessageDigest.getInstance("SHA-256").digest(file)) hashFile.append(Integer.toHexString(b & 0xff)); // unpadded, as the SDK
        byte[] body = Arrays.copyOf(file, file.length + 2);
        body[file.length] = '\r';
        body[file.length + 1] = '\n';
        Map<String, String> send = new LinkedHashMap<>();
        send.put("from", senderCode);
        send.put("servicetype", "eDoc");
        send.put("messagetype", "edoc");
        send.put("hash-file", hashFile.toString());
        send.put("note", "Văn phòng Chính phủ gửi UBND Tỉnh Nghệ An"); // UTF-8 on sendEdoc's HttpURLConnection
        String docId = field(sender.call("sendEdoc", send, body, "application/octet-stream", false), "DocId");
        if (docId == null || docId.isEmpty()) fail("sendEdoc gave no DocId");

        String list = recipient.call("getReceivedEdocList", Map.of("servicetype", "eDoc", "messagetype", "edoc"), new byte[0], "application/json", false);
        if (!list.contains("\"docId\":\"" + docId + "\"")) fail("the document is not in the recipient's list");
        Map<String, String> get = new LinkedHashMap<>();
        get.put("docId", docId);
        get.put("filePath", "/tmp/edoc");
        String got = recipient.call("getEdoc", get, "{}".getBytes(StandardCharsets.UTF_8), "application/json", true);
        if (!Arrays.equals(Base64.getMimeDecoder().decode(field(got, "data")), file)) fail("getEdoc did not return the exact bytes");
        Map<String, String> update = new LinkedHashMap<>();
        update.put("docid", docId);
        update.put("status", "done");
        recipient.call("updateStatus", update, "{}".getBytes(StandardCharsets.UTF_8), "application/json", true);
        Map<String, String> sent = new LinkedHashMap<>();
        sent.put("servicetype", "eDoc");
        sent.put("messagetype", "edoc");
        sent.put("docId", docId);
        String trace = sender.call("getSentEdocList", sent, new byte[0], "application/json", false);
        if (!trace.contains("\"receiveStatus\":\"done\"")) fail("getSentEdocList does not show the delivery");
        recipient.call("getAgenciesList", Map.of(), new byte[0], "application/json", false);
        System.out.println("done: " + calls + " calls answered OK");
    }
}
