// hello-java: compiled in java:trixie-dev, run on java:trixie (a JRE, no
// shell, no javac). It opens the default truststore, which the builder wrote
// from the image's CA certificates, so TLS clients work out of the box.
import java.security.KeyStore;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

public class Hello {
    public static void main(String[] args) throws Exception {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init((KeyStore) null);
        int anchors = ((X509TrustManager) factory.getTrustManagers()[0]).getAcceptedIssuers().length;
        String ca = anchors > 100 ? "CA bundle ok" : "no CA bundle";
        String version = System.getProperty("java.specification.version");
        String arch = System.getProperty("os.arch");
        int uid = (Integer) java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self"), "unix:uid");
        System.out.println("hello from java " + version + " (linux/" + arch + ", " + ca + ") as uid " + uid);
    }
}
